/*
 * rng.c - the simulator's explicit pseudo-random numbers.
 *
 * xoshiro256** 1.0: D. Blackman, S. Vigna, "Scrambled linear pseudorandom
 * number generators", ACM Trans. Math. Softw. 47(4) 36, 2021,
 * doi:10.1145/3460772 (reference code: https://prng.di.unimi.it/).
 * Seeding with splitmix64: G. Steele, D. Lea, C. Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014, doi:10.1145/2660193.2660195.
 * Bounded integers: D. Lemire, "Fast random integer generation in an
 * interval", ACM TOMACS 29(1), 2019, doi:10.1145/3230636.
 * Normal deviates: Marsaglia & Bray's polar method (SIAM Review 6(3), 1964).
 *
 * Nothing here reads the clock or the OS: the sequence is a pure function
 * of (seed, stream).
 */
#include "sim/sim.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void vg_rng_seed(struct vg_rng *r, uint64_t seed, uint64_t stream)
{
	/* Two splitmix64 rounds mix seed and stream so that neighbouring
	 * (seed, stream) pairs start far apart. */
	uint64_t x = seed;
	uint64_t a = splitmix64(&x);
	x = a ^ (stream * UINT64_C(0xD1B54A32D192ED03));
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1; /* the all-zero state is the one fixed point */
}

uint64_t vg_rng_next(struct vg_rng *r)
{
	uint64_t *s = r->s;
	const uint64_t result = rotl(s[1] * 5, 7) * 9;
	const uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double vg_rng_uniform(struct vg_rng *r)
{
	return (double)(vg_rng_next(r) >> 11) * 0x1.0p-53;
}

double vg_rng_range(struct vg_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * vg_rng_uniform(r);
}

uint64_t vg_rng_below(struct vg_rng *r, uint64_t n)
{
	vg_assert(n > 0);
	unsigned __int128 m = (unsigned __int128)vg_rng_next(r) * n;
	uint64_t l = (uint64_t)m;
	if (l < n) {
		uint64_t t = -n % n;
		while (l < t) {
			m = (unsigned __int128)vg_rng_next(r) * n;
			l = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double vg_rng_normal(struct vg_rng *r)
{
	double u, v, s;
	do {
		u = 2.0 * vg_rng_uniform(r) - 1.0;
		v = 2.0 * vg_rng_uniform(r) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	/* The second deviate (v * f) is discarded: keeping no hidden state
	 * makes the struct plain data that can be copied to fork a stream. */
	return u * sqrt(-2.0 * log(s) / s);
}

double vg_rng_exponential(struct vg_rng *r, double mean)
{
	/* 1 - U lies in (0, 1], so the log is finite. */
	return -mean * log(1.0 - vg_rng_uniform(r));
}

uint64_t vg_rng_poisson(struct vg_rng *r, double mean)
{
	if (!(mean > 0))
		return 0;
	if (mean < 30) {
		double l = exp(-mean), p = 1.0;
		uint64_t k = 0;
		do {
			k++;
			p *= vg_rng_uniform(r);
		} while (p > l);
		return k - 1;
	}
	double x = floor(mean + sqrt(mean) * vg_rng_normal(r) + 0.5);
	return x < 0 ? 0 : (uint64_t)x;
}
