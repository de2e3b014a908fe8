"""The tutorial layer: everything that knows *Building a Multilayer Perceptron*.

It sits on top of the library (core, ops, nn, diagrams, verify) and nothing below imports it:

- `data`         its data recipes and the weights it draws, from its own seeds
- `seed`         its functions as printed (numpy code, which also runs on autograph Nodes)
- `printed`      what it prints, transcribed from its text
- `derivations`  its hand-derived gradients, checked by the verifier (`autograph verify`)
- `networks`     its networks as autograph expressions; `draw` renders them (`autograph draw`)
- `training`     its training loop, as it ran (stale H) and corrected
- `report`, `demo`  the HTML report (`autograph demo`)

>>> from autograph.tutorial import seed
>>> seed.LEARNING_RATE
1e-06
"""
