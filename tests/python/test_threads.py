"""Python threads over one Engine: the same results as one after another, and the GIL released during analysis."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

PHOTOS = [
    "openface_examples/amy_adams/adams.jpg",
    "openface_examples/eric_clapton/clapton-2.jpg",
    "openface_examples/john_lennon/lennon-2.jpg",
    "openface_examples/steve_carell/carell.jpg",
    "deepface_testset/group/couple.jpg",
    "deepface_testset/group/selfie-many-people.jpg",
    "deepface_testset/id01_Angelina_Jolie/img1.jpg",
    "openface_examples/multi_face/longoria-cooper.jpg",
]


def summary(faces):
    return [(f.box, f.score, f.embedding.tobytes()) for f in faces]


def test_four_threads_give_the_serial_results(facesearch_module, data):
    engine = facesearch_module.Engine(engines=4)
    serial = [summary(engine.faces(data / p)) for p in PHOTOS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda p: summary(engine.faces(data / p)), PHOTOS))
    assert threaded == serial
    assert sum(len(s) for s in serial) >= len(PHOTOS)


def test_other_python_threads_run_during_analysis(engine, data):
    """While one thread is inside faces(), another Python thread keeps running: its longest pause is a small part
    of the call. With the GIL held, that thread would stand still for the whole call."""
    photo = data / "deepface_testset/group/couple.jpg"
    engine.faces(photo)  # networks loaded before measuring
    inside = threading.Event()
    finished = threading.Event()
    span = {}

    def analyse():
        inside.set()
        span["start"] = time.perf_counter()
        for _ in range(3):
            before = time.perf_counter()
            engine.faces(photo)
            span.setdefault("calls", []).append(time.perf_counter() - before)
        span["end"] = time.perf_counter()
        finished.set()

    worker = threading.Thread(target=analyse)
    ticks = []
    worker.start()
    inside.wait()
    while not finished.is_set():
        ticks.append(time.perf_counter())
        sum(range(200))  # pure Python work that needs the GIL
    worker.join()
    during = np.array([t for t in ticks if span["start"] <= t <= span["end"]])
    call = min(span["calls"])  # one faces() call: what a thread kept from the GIL would stand still for
    assert call > 0.05, f"the analysis took {call:.3f} s: too short to measure"
    assert len(during) > 100, f"only {len(during)} steps of the other thread in {call:.3f} s"
    longest_pause = float(np.max(np.diff(during)))
    assert longest_pause < call / 4, f"the other thread stood still {longest_pause:.3f} s during {call:.3f} s calls"
