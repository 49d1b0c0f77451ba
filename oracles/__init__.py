"""References more exact than the spec: mpmath at high precision, finite differences, quadrature.

They are slow (≈ 16 µs an element at 50 digits): call them on small arrays or samples of elements.
No framework imports here, and no call of the spec: an oracle is an independent derivation.
"""
