"""Conv3D and Conv3DTranspose (TF.js's tfjs-layers/src/layers/convolutional.ts): the
convolutions over volumes [batch, depth, height, width, channels] (channelsLast, TF.js's
default) or [batch, channels, depth, height, width], with the options, defaults, weight
names (`conv3d_Conv3D1/kernel`, `/bias`) and configs of the 2-D layers.

Kernels are [kd, kh, kw, in, filters] (Conv3DTranspose: [kd, kh, kw, filters, in]).
Conv3D is one node for the convolution and its bias (ops.conv3d_with_bias), then its
activation."""
from ..core import ops
from ..core.ops.conv3d import conv3d_transpose, conv3d_with_bias
from .convolutional import Conv2DTranspose, _Conv, deconv_length, from_last, ints, to_last


class Conv3D(_Conv):
    """3-D convolution over [batch, depth, height, width, channels] (channelsLast)."""
    rank = 3

    def _conv(self, x, fused=None):
        b = self.bias.val if self.bias is not None else None
        y = conv3d_with_bias(to_last(x, self.data_format), self.kernel.val, b, self.strides,
                             self.padding, "NDHWC", self.dilation_rate)
        return from_last(y, self.data_format)

    def call(self, inputs, training=False):
        self._check_input(inputs)
        return self.activation.apply(self._conv(inputs))


class Conv3DTranspose(Conv3D):
    """The transpose of Conv3D (its input gradient): kernel [kd, kh, kw, filters, in], the
    output grows by the strides (TF.js's deconvLength)."""

    def __init__(self, filters, kernel_size, dilation_rate=1, **kwargs):
        if ints(dilation_rate, 3, "Conv3DTranspose", "dilation_rate") != [1, 1, 1]:
            raise ValueError("Conv3DTranspose: dilation_rate must be 1 (TF.js supports no "
                             f"dilation here), received {dilation_rate!r}")
        super().__init__(filters, kernel_size, **kwargs)

    # The 2-D transpose's, written for any rank: kernel [*kernel_size, filters, in] and
    # deconvLength per spatial axis.
    build = Conv2DTranspose.build
    compute_output_shape = Conv2DTranspose.compute_output_shape

    def _conv(self, x, fused=None):
        x5 = to_last(x, self.data_format)
        space = [deconv_length(d, s, k, self.padding) for d, s, k in zip(
            x5.shape[1:4], self.strides, self.kernel_size)]
        y = conv3d_transpose(x5, self.kernel.val, [x5.shape[0], *space, self.filters],
                             self.strides, self.padding)
        if self.bias is not None:
            y = ops.add(y, self.bias.val)
        return from_last(y, self.data_format)

    def get_config(self):
        config = super().get_config()
        del config["dilation_rate"]  # TF.js's Conv3DTranspose writes none
        return config
