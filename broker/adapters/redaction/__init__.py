"""Redaction of third parties in CCTV footage: detectors, tracking, the draft, the rendered copy.

    models     the ONNX models, prepared once by ``broker models fetch`` (never at run time)
    detectors  CenterFace faces, PP-OCR plates, the motion person fallback, overlay zones
    tracking   keyframe detections -> a box in every frame, with stable track ids
    masks      how a masked region is made unrecognisable (padded, coarse grid, bilinear)
    engine     the detection pass (draft, resumable) and the render pass (H.264 MP4)
"""
