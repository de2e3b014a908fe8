"""Modes per thread and per asyncio task; backward from several threads into one model."""

import asyncio
import sys
import threading

import numpy as np

import autograph as ag
from autograph.core.modes import current_modes


def recorded(node) -> bool:
    return node.requires_grad and len(node.parents) > 0


def test_no_grad_in_one_task_does_not_switch_off_recording_in_another():
    x = ag.parameter([1.0, 2.0])
    seen = {}

    async def inference(inside, leave):
        with ag.no_grad():
            inside.set()
            await leave.wait()                 # the other task runs while this one is inside
            seen["inference"] = recorded(x * 2.0)

    async def training(inside, leave):
        await inside.wait()
        seen["training"] = recorded(x * 2.0)
        leave.set()

    async def main():
        inside, leave = asyncio.Event(), asyncio.Event()
        await asyncio.gather(inference(inside, leave), training(inside, leave))

    asyncio.run(main())
    assert seen == {"inference": False, "training": True}


def test_a_task_started_inside_no_grad_inherits_it_and_cannot_change_the_caller():
    x = ag.parameter([1.0])
    seen = []

    async def child():
        seen.append(recorded(x * 2.0))
        with ag.enable_grad():
            seen.append(recorded(x * 2.0))

    async def main():
        with ag.no_grad():
            await asyncio.create_task(child())
            seen.append(recorded(x * 2.0))

    asyncio.run(main())
    assert seen == [False, True, False]


def test_modes_are_immutable_and_restored():
    before = current_modes()
    assert before.grad_enabled and not before.anomaly
    try:
        before.grad_enabled = False
    except AttributeError:
        pass
    else:
        raise AssertionError("Modes accepted an assignment")
    with ag.no_grad(), ag.detect_anomaly():
        assert not current_modes().grad_enabled and current_modes().anomaly
    assert current_modes() is before


def test_backward_from_many_threads_loses_no_accumulation():
    """Each thread adds d(sum(w * c))/dw = c to w.grad; the total is exact in float64."""
    w = ag.parameter(np.zeros(100_000), name="w")   # numpy adds large arrays without the GIL
    c = np.arange(100_000.0) % 7
    threads, rounds = 4, 50
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)                 # switch threads as often as possible
    try:
        def work():
            for _ in range(rounds):
                (w * c).sum().backward()
        pool = [threading.Thread(target=work) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(timeout=60)
    finally:
        sys.setswitchinterval(old)
    np.testing.assert_array_equal(w.grad, threads * rounds * c)
