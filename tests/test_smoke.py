import numpy as np

import cyact


def test_sigmoid_limits():
    x = np.array([-1000.0, 0.0, 1000.0])
    np.testing.assert_array_equal(cyact.sigmoid(x), [0.0, 0.5, 1.0])
