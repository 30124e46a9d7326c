"""Gradients through rank-0 products: numpy turns a product of rank-0 arrays into a
numpy scalar, which the next op's native backward refuses unless it is made an array
again."""
import numpy as np

import treino as tn


def test_gradient_through_a_scaled_scalar():
    g = tn.grad(lambda t: tn.sqrt(tn.sum(t)) * 0.5)(tn.tensor([1.0, 3.0]))
    np.testing.assert_allclose(g.numpy(), [0.125, 0.125])


def test_gradient_of_rank0_products_and_quotients():
    x = tn.scalar(4.0)
    np.testing.assert_allclose(tn.grad(lambda t: tn.exp(t * tn.scalar(0.5)) / 2.0)(x).numpy(),
                               0.25 * np.exp(2.0), rtol=1e-6)
    np.testing.assert_allclose(tn.grad(lambda t: tn.sigmoid(t - 4.0) * 3.0)(x).numpy(), 0.75)
