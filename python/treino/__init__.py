"""treino: TensorFlow.js's training API for Python, with C++ kernels."""
from ._kernels import cpu_info, get_num_threads, set_num_threads

__version__ = "0.1.0"

__all__ = ["cpu_info", "get_num_threads", "set_num_threads", "__version__"]
