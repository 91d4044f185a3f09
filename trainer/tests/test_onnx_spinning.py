"""evaluate --engine onnx: onnxruntime's threads spin only while no other process keeps a core busy."""

from __future__ import annotations

import subprocess
import sys
import time

from medqa_trainer.generation_onnx import other_processes_busy_cores, spinning_pays


def test_the_rule() -> None:
    assert spinning_pays(0.0) and spinning_pays(0.3)
    assert not spinning_pays(0.5) and not spinning_pays(1.9)


def test_another_process_counts_and_this_one_does_not() -> None:
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        with_other = other_processes_busy_cores(0.5)
    finally:
        busy.kill()  # ours, by its PID
        busy.wait()
    assert with_other >= 0.6, f"a spinning child process counted as {with_other:.2f} cores"

    import threading

    stop = time.monotonic() + 0.6

    def spin() -> None:
        while time.monotonic() < stop:
            pass

    worker = threading.Thread(target=spin)
    worker.start()
    own = other_processes_busy_cores(0.5)
    worker.join()
    assert own < 0.6, f"this process's own work counted as {own:.2f} other cores"
