"""The Resizing preprocessing layer (TF.js's tfjs-layers/src/layers/preprocessing/
image_resizing.ts): images [batch, height, width, channels] (or one image [height,
width, channels]) resized to a fixed height x width with tn.image's resize ops, so a
model trains through it.

crop_to_aspect_ratio is TF.js 4.22's: it crops nothing and only chooses how the pixel
grids line up. False (the default) resizes with aligned corners (the corner pixels of
input and output coincide, align_corners=True); True resizes without
(align_corners=False, output pixel i reads input position i * in / out), the way
tn.image.resize_bilinear does by default.
"""
from .._config import check_bool, check_int
from ..core.ops import image
from .base import Layer, shape_str
from .core import incompatible
from .preprocessing import check_output_size

_INTERPOLATIONS = ("bilinear", "nearest")


class Resizing(Layer):
    """Resizes images to height x width: interpolation 'bilinear' (the default; the
    output is float32) or 'nearest' (the dtype is kept)."""

    def __init__(self, height, width, interpolation=None, crop_to_aspect_ratio=False,
                 **kwargs):
        height = check_int(height, "Resizing", "height", minimum=1)
        width = check_int(width, "Resizing", "width", minimum=1)
        # TF.js: `args.interpolation` or 'bilinear'; anything else is refused.
        if interpolation is None:
            interpolation = "bilinear"
        elif not isinstance(interpolation, str):
            raise TypeError(f"Resizing: argument 'interpolation' must be one of "
                            f"{list(_INTERPOLATIONS)}, received {interpolation!r}")
        elif interpolation not in _INTERPOLATIONS:
            raise ValueError(f"Resizing: argument 'interpolation' must be one of "
                             f"{list(_INTERPOLATIONS)}, received {interpolation!r} "
                             f"(TF.js implements no other)")
        crop = check_bool(crop_to_aspect_ratio, "Resizing", "crop_to_aspect_ratio")
        super().__init__(**kwargs)
        self.height, self.width = height, width
        self.interpolation, self.crop_to_aspect_ratio = interpolation, crop

    @property
    def output_dtype(self):
        # bilinear interpolation gives float32 whatever the input; nearest copies pixels
        return "float32" if self.interpolation == "bilinear" else None

    def _check_rank(self, shape):
        if len(shape) not in (3, 4):
            raise incompatible(self, f"expected images of rank 4 ([batch, height, width, "
                                     f"channels]) or 3, got shape {shape_str(shape)}")

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        return tuple(input_shape[:-3]) + (self.height, self.width, input_shape[-1])

    def call(self, inputs, training=False):
        self._check_rank(inputs.shape)
        check_output_size(self)
        resize = image.resize_bilinear if self.interpolation == "bilinear" else \
            image.resize_nearest_neighbor
        return resize(inputs, [self.height, self.width],
                      align_corners=not self.crop_to_aspect_ratio)

    def get_config(self):
        config = {"height": self.height, "width": self.width,
                  "interpolation": self.interpolation,
                  "crop_to_aspect_ratio": self.crop_to_aspect_ratio}
        config.update(super().get_config())
        return config
