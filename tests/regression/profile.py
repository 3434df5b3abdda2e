"""The CPU profile the regression recordings are made and checked in (no NumPy import here: it must be set first).

NumPy picks SIMD kernels at run time and its AVX-512 kernels round transcendental functions (``sin``, ``exp``)
differently from its AVX2 ones in the last bit; OpenBLAS picks per-CPU kernels too. Switching NumPy's AVX-512 kernels
off and pinning OpenBLAS to its Haswell kernels gives the same code paths on every x86-64-v3 CPU (AVX2 and FMA).
"""

NPY_DISABLE_CPU_FEATURES = "X86_V4 AVX512_ICL AVX512_SPR"
OPENBLAS_CORETYPE = "Haswell"
