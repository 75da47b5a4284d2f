//! `e^x` for the model's equations: the algorithm of ARM's optimized-routines
//! `exp` (Szabolcs Nagy, 2018; MIT OR Apache-2.0 WITH LLVM-exception), which
//! glibc ships as its `exp` since 2.28, with its fused multiply-adds written
//! out as `mul_add`, in the order glibc's x86-64 FMA build
//! (`__exp_fma`, chosen on every CPU with FMA and AVX2) performs them.
//!
//! Why ccgsim carries its own: the model calls `exp` about twice per
//! practice-month, and a call into libm costs a PLT jump, glibc's error
//! wrapper and spilled registers around the call, a fifth of the engine's
//! time (docs/PERFORMANCE.md). Written here it inlines into the step and
//! runs four lanes at a time in [`exp4`], with the same bits: on the machines
//! ccgsim's outputs were produced on (glibc ≥ 2.28 on a CPU with FMA) every
//! result equals libm's, and a unit test checks this on millions of inputs.
//! Each `mul_add` is one correctly rounded fused operation on every CPU (a
//! hardware instruction where the caller is compiled with FMA, a correctly
//! rounded library call elsewhere), so the results no longer depend on which
//! libm, or which of its builds, the host has.
//!
//! The table and constants are `__exp_data` for `EXP_TABLE_BITS = 7`,
//! `EXP_POLY_ORDER = 5`: `x = k·ln2/N + r`, `e^x = 2^(k/N) · e^r`, with
//! `2^(k/N)` from a 128-entry table and `e^r - 1` a degree-5 polynomial.
//! Arguments outside `2^-54 ≤ |x| < 512` (and NaN, ±∞) take libm's `exp`
//! itself, so those rare inputs also keep libm's bits.

/// 128/ln 2.
const INV_LN2_N: f64 = f64::from_bits(0x4067_1547_652b_82fe);
/// −ln 2/128, high part.
const NEG_LN2_HI_N: f64 = f64::from_bits(0xbf76_2e42_fefa_0000);
/// −ln 2/128, low part.
const NEG_LN2_LO_N: f64 = f64::from_bits(0xbd0c_f79a_bc9e_3b3a);
const C2: f64 = f64::from_bits(0x3fdf_ffff_ffff_fdbd);
const C3: f64 = f64::from_bits(0x3fc5_5555_5555_543c);
const C4: f64 = f64::from_bits(0x3fa5_5555_cf17_2b91);
const C5: f64 = f64::from_bits(0x3f81_1111_67a4_d017);
/// 1.5·2^52: adding it rounds `x·N/ln 2` to an integer held in the low bits.
const SHIFT: f64 = f64::from_bits(0x4338_0000_0000_0000);
/// `top12(2^-54)`: below it `e^x` rounds to `1 + x`.
const TOP_TINY: u32 = 0x3c9;
/// `top12(512) − top12(2^-54)`: the width of the ordinary range.
const TOP_SPAN: u32 = 0x408 - 0x3c9;

/// `TAB[2k]`: the tail of `2^(k/128)` (as f64 bits); `TAB[2k+1]`: the bits of
/// `2^(k/128)` less `k << 45`.
#[rustfmt::skip]
static TAB: [u64; 256] = [
    0x0000000000000000, 0x3ff0000000000000, 0x3c9b3b4f1a88bf6e, 0x3feff63da9fb3335,
    0xbc7160139cd8dc5d, 0x3fefec9a3e778061, 0xbc905e7a108766d1, 0x3fefe315e86e7f85,
    0x3c8cd2523567f613, 0x3fefd9b0d3158574, 0xbc8bce8023f98efa, 0x3fefd06b29ddf6de,
    0x3c60f74e61e6c861, 0x3fefc74518759bc8, 0x3c90a3e45b33d399, 0x3fefbe3ecac6f383,
    0x3c979aa65d837b6d, 0x3fefb5586cf9890f, 0x3c8eb51a92fdeffc, 0x3fefac922b7247f7,
    0x3c3ebe3d702f9cd1, 0x3fefa3ec32d3d1a2, 0xbc6a033489906e0b, 0x3fef9b66affed31b,
    0xbc9556522a2fbd0e, 0x3fef9301d0125b51, 0xbc5080ef8c4eea55, 0x3fef8abdc06c31cc,
    0xbc91c923b9d5f416, 0x3fef829aaea92de0, 0x3c80d3e3e95c55af, 0x3fef7a98c8a58e51,
    0xbc801b15eaa59348, 0x3fef72b83c7d517b, 0xbc8f1ff055de323d, 0x3fef6af9388c8dea,
    0x3c8b898c3f1353bf, 0x3fef635beb6fcb75, 0xbc96d99c7611eb26, 0x3fef5be084045cd4,
    0x3c9aecf73e3a2f60, 0x3fef54873168b9aa, 0xbc8fe782cb86389d, 0x3fef4d5022fcd91d,
    0x3c8a6f4144a6c38d, 0x3fef463b88628cd6, 0x3c807a05b0e4047d, 0x3fef3f49917ddc96,
    0x3c968efde3a8a894, 0x3fef387a6e756238, 0x3c875e18f274487d, 0x3fef31ce4fb2a63f,
    0x3c80472b981fe7f2, 0x3fef2b4565e27cdd, 0xbc96b87b3f71085e, 0x3fef24dfe1f56381,
    0x3c82f7e16d09ab31, 0x3fef1e9df51fdee1, 0xbc3d219b1a6fbffa, 0x3fef187fd0dad990,
    0x3c8b3782720c0ab4, 0x3fef1285a6e4030b, 0x3c6e149289cecb8f, 0x3fef0cafa93e2f56,
    0x3c834d754db0abb6, 0x3fef06fe0a31b715, 0x3c864201e2ac744c, 0x3fef0170fc4cd831,
    0x3c8fdd395dd3f84a, 0x3feefc08b26416ff, 0xbc86a3803b8e5b04, 0x3feef6c55f929ff1,
    0xbc924aedcc4b5068, 0x3feef1a7373aa9cb, 0xbc9907f81b512d8e, 0x3feeecae6d05d866,
    0xbc71d1e83e9436d2, 0x3feee7db34e59ff7, 0xbc991919b3ce1b15, 0x3feee32dc313a8e5,
    0x3c859f48a72a4c6d, 0x3feedea64c123422, 0xbc9312607a28698a, 0x3feeda4504ac801c,
    0xbc58a78f4817895b, 0x3feed60a21f72e2a, 0xbc7c2c9b67499a1b, 0x3feed1f5d950a897,
    0x3c4363ed60c2ac11, 0x3feece086061892d, 0x3c9666093b0664ef, 0x3feeca41ed1d0057,
    0x3c6ecce1daa10379, 0x3feec6a2b5c13cd0, 0x3c93ff8e3f0f1230, 0x3feec32af0d7d3de,
    0x3c7690cebb7aafb0, 0x3feebfdad5362a27, 0x3c931dbdeb54e077, 0x3feebcb299fddd0d,
    0xbc8f94340071a38e, 0x3feeb9b2769d2ca7, 0xbc87deccdc93a349, 0x3feeb6daa2cf6642,
    0xbc78dec6bd0f385f, 0x3feeb42b569d4f82, 0xbc861246ec7b5cf6, 0x3feeb1a4ca5d920f,
    0x3c93350518fdd78e, 0x3feeaf4736b527da, 0x3c7b98b72f8a9b05, 0x3feead12d497c7fd,
    0x3c9063e1e21c5409, 0x3feeab07dd485429, 0x3c34c7855019c6ea, 0x3feea9268a5946b7,
    0x3c9432e62b64c035, 0x3feea76f15ad2148, 0xbc8ce44a6199769f, 0x3feea5e1b976dc09,
    0xbc8c33c53bef4da8, 0x3feea47eb03a5585, 0xbc845378892be9ae, 0x3feea34634ccc320,
    0xbc93cedd78565858, 0x3feea23882552225, 0x3c5710aa807e1964, 0x3feea155d44ca973,
    0xbc93b3efbf5e2228, 0x3feea09e667f3bcd, 0xbc6a12ad8734b982, 0x3feea012750bdabf,
    0xbc6367efb86da9ee, 0x3fee9fb23c651a2f, 0xbc80dc3d54e08851, 0x3fee9f7df9519484,
    0xbc781f647e5a3ecf, 0x3fee9f75e8ec5f74, 0xbc86ee4ac08b7db0, 0x3fee9f9a48a58174,
    0xbc8619321e55e68a, 0x3fee9feb564267c9, 0x3c909ccb5e09d4d3, 0x3feea0694fde5d3f,
    0xbc7b32dcb94da51d, 0x3feea11473eb0187, 0x3c94ecfd5467c06b, 0x3feea1ed0130c132,
    0x3c65ebe1abd66c55, 0x3feea2f336cf4e62, 0xbc88a1c52fb3cf42, 0x3feea427543e1a12,
    0xbc9369b6f13b3734, 0x3feea589994cce13, 0xbc805e843a19ff1e, 0x3feea71a4623c7ad,
    0xbc94d450d872576e, 0x3feea8d99b4492ed, 0x3c90ad675b0e8a00, 0x3feeaac7d98a6699,
    0x3c8db72fc1f0eab4, 0x3feeace5422aa0db, 0xbc65b6609cc5e7ff, 0x3feeaf3216b5448c,
    0x3c7bf68359f35f44, 0x3feeb1ae99157736, 0xbc93091fa71e3d83, 0x3feeb45b0b91ffc6,
    0xbc5da9b88b6c1e29, 0x3feeb737b0cdc5e5, 0xbc6c23f97c90b959, 0x3feeba44cbc8520f,
    0xbc92434322f4f9aa, 0x3feebd829fde4e50, 0xbc85ca6cd7668e4b, 0x3feec0f170ca07ba,
    0x3c71affc2b91ce27, 0x3feec49182a3f090, 0x3c6dd235e10a73bb, 0x3feec86319e32323,
    0xbc87c50422622263, 0x3feecc667b5de565, 0x3c8b1c86e3e231d5, 0x3feed09bec4a2d33,
    0xbc91bbd1d3bcbb15, 0x3feed503b23e255d, 0x3c90cc319cee31d2, 0x3feed99e1330b358,
    0x3c8469846e735ab3, 0x3feede6b5579fdbf, 0xbc82dfcd978e9db4, 0x3feee36bbfd3f37a,
    0x3c8c1a7792cb3387, 0x3feee89f995ad3ad, 0xbc907b8f4ad1d9fa, 0x3feeee07298db666,
    0xbc55c3d956dcaeba, 0x3feef3a2b84f15fb, 0xbc90a40e3da6f640, 0x3feef9728de5593a,
    0xbc68d6f438ad9334, 0x3feeff76f2fb5e47, 0xbc91eee26b588a35, 0x3fef05b030a1064a,
    0x3c74ffd70a5fddcd, 0x3fef0c1e904bc1d2, 0xbc91bdfbfa9298ac, 0x3fef12c25bd71e09,
    0x3c736eae30af0cb3, 0x3fef199bdd85529c, 0x3c8ee3325c9ffd94, 0x3fef20ab5fffd07a,
    0x3c84e08fd10959ac, 0x3fef27f12e57d14b, 0x3c63cdaf384e1a67, 0x3fef2f6d9406e7b5,
    0x3c676b2c6c921968, 0x3fef3720dcef9069, 0xbc808a1883ccb5d2, 0x3fef3f0b555dc3fa,
    0xbc8fad5d3ffffa6f, 0x3fef472d4a07897c, 0xbc900dae3875a949, 0x3fef4f87080d89f2,
    0x3c74a385a63d07a7, 0x3fef5818dcfba487, 0xbc82919e2040220f, 0x3fef60e316c98398,
    0x3c8e5a50d5c192ac, 0x3fef69e603db3285, 0x3c843a59ac016b4b, 0x3fef7321f301b460,
    0xbc82d52107b43e1f, 0x3fef7c97337b9b5f, 0xbc892ab93b470dc9, 0x3fef864614f5a129,
    0x3c74b604603a88d3, 0x3fef902ee78b3ff6, 0x3c83c5ec519d7271, 0x3fef9a51fbc74c83,
    0xbc8ff7128fd391f0, 0x3fefa4afa2a490da, 0xbc8dae98e223747d, 0x3fefaf482d8e67f1,
    0x3c8ec3bc41aa2008, 0x3fefba1bee615a27, 0x3c842b94c3a9eb32, 0x3fefc52b376bba97,
    0x3c8a64a931d185ee, 0x3fefd0765b6e4540, 0xbc8e37bae43be3ed, 0x3fefdbfdad9cbe14,
    0x3c77893b4d91cd9d, 0x3fefe7c1819e90d8, 0x3c5305c14160cc89, 0x3feff3c22b8f71f1,
];

/// Is `x` in the ordinary range `2^-54 ≤ |x| < 512` the table and polynomial cover?
#[inline(always)]
fn ordinary(x: f64) -> bool {
    let abstop = (x.to_bits() >> 52) as u32 & 0x7ff;
    abstop.wrapping_sub(TOP_TINY) < TOP_SPAN
}

/// `e^x`, the same bits as glibc's `exp` on a CPU with FMA (see the module docs).
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    if !ordinary(x) {
        return x.exp();
    }
    // x = k·ln2/N + r with integer k and |r| ≤ ln2/2N.
    let kd = x.mul_add(INV_LN2_N, SHIFT);
    let ki = kd.to_bits();
    let kd = kd - SHIFT;
    let r = kd.mul_add(NEG_LN2_LO_N, kd.mul_add(NEG_LN2_HI_N, x));
    // 2^(k/N) ≈ scale·(1 + tail).
    let idx = 2 * (ki % 128) as usize;
    let tail = f64::from_bits(TAB[idx]);
    let scale = f64::from_bits(TAB[idx + 1].wrapping_add(ki << 45));
    // e^x ≈ scale + scale·(tail + e^r − 1).
    let r2 = r * r;
    let p23 = r.mul_add(C3, C2);
    let p45 = r.mul_add(C5, C4);
    let tmp = (r2 * r2).mul_add(p45, p23.mul_add(r2, r + tail));
    scale.mul_add(tmp, scale)
}

/// The logistic `1/(1 + e^-x)` with [`exp`].
#[inline(always)]
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + exp(-x))
}

/// Does this CPU run the FMA and AVX2 builds (the step's, the initialisation's
/// and [`logistic_each`]'s four lanes)? The answer is cached by std.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn has_fma() -> bool {
    std::arch::is_x86_feature_detected!("fma") && std::arch::is_x86_feature_detected!("avx2")
}

/// Replace each `x` in `xs` by [`logistic`]`(x)`: four at a time on a CPU
/// with AVX2 and FMA (each lane the same operations as [`exp`], so the same
/// bits), one at a time elsewhere and for the last few.
#[inline(always)]
pub fn logistic_each(xs: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU has FMA and AVX2 (checked just above).
        unsafe { x4::logistic_each(xs) };
        return;
    }
    for x in xs {
        *x = logistic(*x);
    }
}

#[cfg(target_arch = "x86_64")]
mod x4 {
    use super::*;
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn logistic_each(xs: &mut [f64]) {
        let mut chunks = xs.chunks_exact_mut(4);
        for c in &mut chunks {
            // SAFETY: `c` holds four f64 (unaligned loads and stores).
            let x = unsafe { _mm256_loadu_pd(c.as_ptr()) };
            // −x: the sign bit flipped, as the scalar path negates.
            match exp4(_mm256_xor_pd(x, _mm256_set1_pd(-0.0))) {
                Some(e) => {
                    let one = _mm256_set1_pd(1.0);
                    let y = _mm256_div_pd(one, _mm256_add_pd(one, e));
                    // SAFETY: as above.
                    unsafe { _mm256_storeu_pd(c.as_mut_ptr(), y) };
                }
                None => c.iter_mut().for_each(|x| *x = logistic(*x)),
            }
        }
        for x in chunks.into_remainder() {
            *x = logistic(*x);
        }
    }

    /// [`exp`] of four lanes, or `None` if any lane is outside the ordinary range.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn exp4(x: __m256d) -> Option<__m256d> {
        let bits = _mm256_castpd_si256(x);
        let abstop = _mm256_and_si256(_mm256_srli_epi64::<52>(bits), _mm256_set1_epi64x(0x7ff));
        // Ordinary: TOP_TINY ≤ abstop < TOP_TINY + TOP_SPAN.
        let low = _mm256_cmpgt_epi64(_mm256_set1_epi64x(TOP_TINY as i64), abstop);
        let high = _mm256_cmpgt_epi64(abstop, _mm256_set1_epi64x((TOP_TINY + TOP_SPAN - 1) as i64));
        if _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_or_si256(low, high))) != 0 {
            return None;
        }
        let shift = _mm256_set1_pd(SHIFT);
        let kd = _mm256_fmadd_pd(x, _mm256_set1_pd(INV_LN2_N), shift);
        let ki = _mm256_castpd_si256(kd);
        let kd = _mm256_sub_pd(kd, shift);
        let r = _mm256_fmadd_pd(kd, _mm256_set1_pd(NEG_LN2_HI_N), x);
        let r = _mm256_fmadd_pd(kd, _mm256_set1_pd(NEG_LN2_LO_N), r);
        let idx = _mm256_slli_epi64::<1>(_mm256_and_si256(ki, _mm256_set1_epi64x(127)));
        // SAFETY: every index is 2k or 2k + 1 with k < 128, inside TAB's 256 entries.
        let (tail, sbits) = unsafe {
            (
                _mm256_i64gather_pd::<8>(TAB.as_ptr() as *const f64, idx),
                _mm256_i64gather_epi64::<8>(
                    TAB.as_ptr() as *const i64,
                    _mm256_add_epi64(idx, _mm256_set1_epi64x(1)),
                ),
            )
        };
        let scale = _mm256_castsi256_pd(_mm256_add_epi64(sbits, _mm256_slli_epi64::<45>(ki)));
        let r2 = _mm256_mul_pd(r, r);
        let p23 = _mm256_fmadd_pd(r, _mm256_set1_pd(C3), _mm256_set1_pd(C2));
        let p45 = _mm256_fmadd_pd(r, _mm256_set1_pd(C5), _mm256_set1_pd(C4));
        let tmp = _mm256_fmadd_pd(
            _mm256_mul_pd(r2, r2),
            p45,
            _mm256_fmadd_pd(p23, r2, _mm256_add_pd(r, tail)),
        );
        Some(_mm256_fmadd_pd(scale, tmp, scale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rng::Stream;

    /// Only a CPU with FMA and AVX2 runs glibc's FMA build; elsewhere glibc's
    /// own `exp` may differ from it (and from this one) in the last bit.
    fn libm_is_the_fma_build() -> bool {
        #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
        return std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("avx2");
        #[allow(unreachable_code)]
        false
    }

    fn check(x: f64) {
        let (a, b) = (exp(x), x.exp());
        assert!(
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            "exp({x:e}) = {a:e}, libm {b:e}"
        );
    }

    #[test]
    fn logistic_each_is_logistic_lane_by_lane() {
        let mut s = Stream::derive(5, &[]);
        for len in 0..40 {
            for round in 0..2_000 {
                let xs: Vec<f64> = (0..len)
                    .map(|_| match round % 4 {
                        // Now and then a value outside exp's ordinary range,
                        // which sends its group of four to the scalar path.
                        0 if s.unit() < 0.05 => {
                            [1e-300, 600.0, -800.0, f64::NAN, 0.0, -0.0][s.below(6)]
                        }
                        _ => (s.unit() - 0.5) * 80.0,
                    })
                    .collect();
                let mut ys = xs.clone();
                logistic_each(&mut ys);
                for (x, y) in xs.iter().zip(&ys) {
                    let want = logistic(*x);
                    assert!(
                        y.to_bits() == want.to_bits() || (y.is_nan() && want.is_nan()),
                        "logistic({x:e}): {y:e} against {want:e}"
                    );
                }
            }
        }
    }

    #[test]
    fn exp_has_libm_bits() {
        if !libm_is_the_fma_build() {
            eprintln!("skipped: libm here is not glibc's FMA build");
            return;
        }
        let mut s = Stream::derive(17, &[]);
        // CCGSIM_EXP_SAMPLES=N checks N of each kind below (docs/PERFORMANCE.md
        // gives a long run's count).
        let samples: u64 = std::env::var("CCGSIM_EXP_SAMPLES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2_000_000);
        // The model's range: logits within ±60, uniformly and near zero.
        for _ in 0..samples {
            check((s.unit() - 0.5) * 120.0);
            check((s.unit() - 0.5) * 1e-3);
        }
        // Every exponent of either sign, random mantissas (the ordinary range,
        // both edges and the special cases beyond).
        for _ in 0..samples {
            let bits = {
                use rand::Rng;
                s.next_u64()
            };
            check(f64::from_bits(bits));
        }
        // Edges of the table index and of the range.
        for k in -70_000i64..70_000 {
            let x = k as f64 * std::f64::consts::LN_2 / 128.0;
            for d in [-2i64, -1, 0, 1, 2] {
                check(f64::from_bits((x.to_bits() as i64 + d) as u64));
            }
        }
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            511.999,
            512.0,
            -512.0,
            709.78,
            709.79,
            -745.1,
            -746.0,
            5e-17,
            -5e-17,
            5.6e-17,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            check(x);
        }
    }
}
