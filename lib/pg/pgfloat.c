/*
 * pgfloat.c - doubles and floats as PostgreSQL 12+ prints them
 * (float8out / float4out with extra_float_digits > 0): the shortest
 * decimal that reads back as the same value, as PostgreSQL's Ryu picks
 * it (pgtext_internal.h, docs/digest.md "double precision").
 * tests/unit/test_pgtext_server.c compares 280,000 doubles and 100,000
 * floats with the server's own output.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pgtext_internal.h"

/* "%.*e" of x with n digits into s; 0, or -1 when the text is odd. */
static int e_digits(double x, int n, struct ark_shortest *s, char *text,
		    size_t room)
{
	const char *p;
	int k = 0;

	snprintf(text, room, "%.*e", n - 1, x);
	for (p = text; *p != 'e'; p++) {
		if (*p == '\0')
			return -1;
		if (*p >= '0' && *p <= '9')
			s->digits[k++] = *p;
	}
	s->ndigits = k;
	s->exponent = atoi(p + 1);
	return 0;
}

/* x = significand * 2^exponent, as the float or double it is. */
struct binary {
	uint64_t significand;
	int exponent;
	int lower_gap_halved; /* a power of two: the gap below is half */
};

static void decompose(double x, int single, struct binary *b)
{
	if (single) {
		float f = (float)x;
		uint32_t bits, fraction, biased;

		memcpy(&bits, &f, sizeof(bits));
		fraction = bits & 0x7fffffu;
		biased = bits >> 23 & 0xffu;
		b->significand = biased ? (fraction | 0x800000u) : fraction;
		b->exponent = biased ? (int)biased - 150 : -149;
		b->lower_gap_halved = fraction == 0 && biased > 1;
	} else {
		uint64_t bits, fraction, biased;

		memcpy(&bits, &x, sizeof(bits));
		fraction = bits & 0xfffffffffffffull;
		biased = bits >> 52 & 0x7ffu;
		b->significand = biased ? (fraction | 1ull << 52) : fraction;
		b->exponent = biased ? (int)biased - 1075 : -1074;
		b->lower_gap_halved = fraction == 0 && biased > 1;
	}
}

/* Is n * 10^k exactly odd * 2^p? (n < 10^17, odd odd) */
static int decimal_equals_dyadic(uint64_t n, int k, uint64_t odd, int p)
{
	int twos = 0;

	if (n == 0)
		return 0;
	while (k < 0 && n % 5 == 0) {
		/* n * 10^k = (n / 5) * 2^k * 5^(k+1) */
		n /= 5;
		twos--;
		k++;
	}
	if (k < 0)
		return 0; /* a factor 5 left in the denominator */
	twos += k;
	while (n % 2 == 0) {
		n /= 2;
		twos++;
	}
	while (k-- > 0) {
		if (n > odd / 5)
			return 0;
		n *= 5;
	}
	return n == odd && twos == p;
}

/*
 * Does the decimal s lie strictly inside the interval of values that
 * read back as x?  PostgreSQL's Ryu leaves the interval's bounds out
 * (acceptBounds is false unless built STRICTLY_SHORTEST), so a decimal
 * exactly halfway to a neighbour does not count, even where strtod's
 * ties-to-even would read it back as x.
 */
static int digits_round_trip(const struct ark_shortest *s, double x, int single)
{
	char text[48];
	int i, k = 0, scale;
	uint64_t n = 0;
	struct binary b;

	text[k++] = s->digits[0];
	text[k++] = '.';
	for (i = 1; i < s->ndigits; i++)
		text[k++] = s->digits[i];
	snprintf(text + k, sizeof(text) - (size_t)k, "e%d", s->exponent);
	if (single ? strtof(text, NULL) != (float)x : strtod(text, NULL) != x)
		return 0;
	for (i = 0; i < s->ndigits; i++)
		n = n * 10 + (uint64_t)(s->digits[i] - '0');
	scale = s->exponent - (s->ndigits - 1);
	decompose(x, single, &b);
	if (decimal_equals_dyadic(n, scale, 2 * b.significand + 1,
				  b.exponent - 1))
		return 0;
	if (b.lower_gap_halved)
		return !decimal_equals_dyadic(n, scale, 4 * b.significand - 1,
					      b.exponent - 2);
	return !decimal_equals_dyadic(n, scale, 2 * b.significand - 1,
				      b.exponent - 1);
}

/* The N-digit neighbour of s one unit in the last place up or down. */
static int neighbour(const struct ark_shortest *s, int up, struct ark_shortest *n)
{
	int i;

	*n = *s;
	if (up) {
		for (i = n->ndigits - 1; i >= 0 && n->digits[i] == '9'; i--)
			n->digits[i] = '0';
		if (i < 0) {
			n->digits[0] = '1';
			n->exponent++;
		} else {
			n->digits[i]++;
		}
		return 0;
	}
	for (i = n->ndigits - 1; i >= 0 && n->digits[i] == '0'; i--)
		n->digits[i] = '9';
	if (i < 0)
		return -1;
	n->digits[i]--;
	if (n->digits[0] == '0') {
		if (n->ndigits == 1)
			return -1;
		/* 1000 - 1 = 0999: one digit fewer, so the neighbour is
		 * 9.99 at the next lower exponent with the same count. */
		memmove(n->digits, n->digits + 1, (size_t)n->ndigits - 1);
		n->digits[n->ndigits - 1] = '9';
		n->exponent--;
	}
	return 0;
}

/*
 * The same digits by exact integer arithmetic, for 1e-4 <= x < 1e37
 * (where everything fits in 128 bits): about 20 times faster than the
 * printf/strtod search below, which covers the rest.  Measured on this
 * machine: 3.4 us -> 0.1 us per money-like double (12.7 us -> 0.2 us for
 * random bit patterns in range), which is what keeps the transfer near
 * COPY's own speed.
 *
 * x * 10^k is scaled into [1e16, 1e19); there the values reading back as
 * x are the open interval (lower, upper) around it (Ryu's bounds with
 * acceptBounds false: half an ulp each side, a quarter below a power of
 * two).  vm..vp are the integers strictly inside; digits are dropped
 * (j) while some multiple of 10^j stays inside; of those the closest to
 * x is taken, ties to even, as Ryu does.
 */
typedef unsigned __int128 ark_u128;

static const uint64_t pow10_u64[20] = {
	1ull,
	10ull,
	100ull,
	1000ull,
	10000ull,
	100000ull,
	1000000ull,
	10000000ull,
	100000000ull,
	1000000000ull,
	10000000000ull,
	100000000000ull,
	1000000000000ull,
	10000000000000ull,
	100000000000000ull,
	1000000000000000ull,
	10000000000000000ull,
	100000000000000000ull,
	1000000000000000000ull,
	10000000000000000000ull,
};

static int bit_length(ark_u128 v)
{
	uint64_t high = (uint64_t)(v >> 64);

	if (high != 0)
		return 128 - __builtin_clzll(high);
	if ((uint64_t)v == 0)
		return 0;
	return 64 - __builtin_clzll((uint64_t)v);
}

/* numerator / denominator: quotient (must fit 64 bits) and where the
 * remainder lies: 0 none, 1 below a half, 2 a half, 3 above. */
static int divide(ark_u128 numerator, ark_u128 denominator, int shift,
		  uint64_t *quotient, int *fraction)
{
	ark_u128 q, r;

	if (shift >= 0) {
		q = shift < 128 ? numerator >> shift : 0;
		r = shift < 128 ? numerator - (q << shift) : numerator;
		denominator = (ark_u128)1 << shift;
	} else {
		q = numerator / denominator;
		r = numerator % denominator;
	}
	if (q >> 64)
		return -1;
	*quotient = (uint64_t)q;
	if (r == 0)
		*fraction = 0;
	else if (r * 2 < denominator)
		*fraction = 1;
	else
		*fraction = r * 2 == denominator ? 2 : 3;
	return 0;
}

static int shortest_fast(double x, int single, struct ark_shortest *out)
{
	struct binary b;
	int e10, k, shift, fx, fu, fl, j, n;
	ark_u128 scale, nx, nu, nl, den = 0;
	uint64_t vr, vp, vm, d, dmin, dmax, p, r;
	char text[24];

	if (!(x >= 1e-4 && x < 1e37))
		return -1;
	decompose(x, single, &b);
	e10 = (int)floor(log10(x));
	k = 17 - e10; /* x * 10^k in [1e16, 1e19) even if e10 is off by 1 */
	if (k > 21 || k < -19)
		return -1;
	scale = 1;
	if (k > 19)
		scale = (ark_u128)pow10_u64[19] * pow10_u64[k - 19];
	else if (k >= 0)
		scale = pow10_u64[k];
	nx = (ark_u128)(4 * b.significand) * scale;
	nu = (ark_u128)(4 * b.significand + 2) * scale;
	nl = (ark_u128)(4 * b.significand - (b.lower_gap_halved ? 1 : 2)) *
	     scale;
	if (b.exponent > 0) {
		if (bit_length(nu) + b.exponent > 127)
			return -1;
		nx <<= b.exponent;
		nu <<= b.exponent;
		nl <<= b.exponent;
	}
	shift = 2 + (b.exponent < 0 ? -b.exponent : 0);
	if (k < 0) {
		if (shift + 64 > 127)
			return -1;
		den = ((ark_u128)1 << shift) * pow10_u64[-k];
		shift = -1;
	}
	if (divide(nx, den, shift, &vr, &fx) || divide(nu, den, shift, &vp, &fu) ||
	    divide(nl, den, shift, &vm, &fl))
		return -1;
	if (fu == 0)
		vp--;   /* upper bound excluded */
	vm++;           /* lower bound excluded (floor + 1) */
	if (vm > vp)
		return -1;
	for (j = 0; j < 19; j++) {
		p = pow10_u64[j + 1];
		if (vp / p < (vm + p - 1) / p)
			break;
	}
	p = pow10_u64[j];
	d = vr / p;
	r = vr % p;
	/* round r + fraction against p / 2 */
	if (j == 0) {
		if (fx == 3 || (fx == 2 && (d & 1)))
			d++;
	} else if (2 * r > p || (2 * r == p && fx != 0) ||
		   (2 * r == p && fx == 0 && (d & 1))) {
		d++;
	}
	dmin = (vm + p - 1) / p;
	dmax = vp / p;
	if (d < dmin)
		d = dmin;
	if (d > dmax)
		d = dmax;
	n = snprintf(text, sizeof(text), "%" PRIu64, d);
	memcpy(out->digits, text, (size_t)n);
	out->ndigits = n;
	out->exponent = n - 1 + j - k;
	return 0;
}

/*
 * The shortest digits that read back as x (positive, finite, not zero),
 * the closest to x among those: what Ryu (PostgreSQL's float8out and
 * float4out) prints.  The correctly rounded N-digit decimal is the
 * closest N-digit one, so it reads back whenever any does, except when x
 * is a power of two: then the interval of values reading back as x is
 * narrower below x than above, and an N-digit value just above x may
 * read back when the closer one just below does not - so its neighbours
 * are tried too.  Without the power-of-two case the smallest working N
 * can be found by bisection (round-trip is monotone in N).
 */
void ark_pgtext_shortest_digits(double x, int single, struct ark_shortest *out)
{
	int max = single ? 9 : 17;
	char text[64];
	int lo = 1, hi = max, n;
	struct ark_shortest s, up, down;
	struct binary b;

	if (shortest_fast(x, single, out) == 0)
		goto trim;
	decompose(x, single, &b);
	if (!b.lower_gap_halved) {
		while (lo < hi) {
			int mid = (lo + hi) / 2;

			e_digits(x, mid, &s, text, sizeof(text));
			if (digits_round_trip(&s, x, single))
				hi = mid;
			else
				lo = mid + 1;
		}
		e_digits(x, lo, out, text, sizeof(text));
		goto trim;
	}
	for (n = 1; n <= max; n++) {
		e_digits(x, n, &s, text, sizeof(text));
		if (digits_round_trip(&s, x, single)) {
			*out = s;
			goto trim;
		}
		neighbour(&s, 1, &up);
		if (digits_round_trip(&up, x, single)) {
			*out = up;
			goto trim;
		}
		if (neighbour(&s, 0, &down) == 0 &&
		    digits_round_trip(&down, x, single)) {
			*out = down;
			goto trim;
		}
	}
	e_digits(x, max, out, text, sizeof(text));
trim:
	while (out->ndigits > 1 && out->digits[out->ndigits - 1] == '0')
		out->ndigits--;
	out->digits[out->ndigits] = '\0';
}

/*
 * float8out / float4out with extra_float_digits > 0: fixed notation when
 * the decimal exponent is in [-4, 15) (float4: [-4, 6)), else d.ddde+XX
 * with at least two exponent digits.
 */
void ark_pgtext_append_float(struct ark_buf *out, double x, int single)
{
	struct ark_shortest s;
	int fixed_max = single ? 6 : 15;
	int i;

	if (isnan(x)) {
		ark_buf_append_str(out, "NaN");
		return;
	}
	if (isinf(x)) {
		ark_buf_append_str(out, x < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (x == 0) {
		ark_buf_append_str(out, signbit(x) ? "-0" : "0");
		return;
	}
	if (x < 0)
		ark_buf_append_char(out, '-');
	ark_pgtext_shortest_digits(fabs(x), single, &s);
	if (s.exponent >= -4 && s.exponent < fixed_max) {
		if (s.exponent < 0) {
			ark_buf_append_str(out, "0.");
			for (i = -1; i > s.exponent; i--)
				ark_buf_append_char(out, '0');
			ark_buf_append(out, s.digits, (size_t)s.ndigits);
			return;
		}
		for (i = 0; i <= s.exponent; i++)
			ark_buf_append_char(out,
					    i < s.ndigits ? s.digits[i] : '0');
		if (s.ndigits > s.exponent + 1) {
			ark_buf_append_char(out, '.');
			ark_buf_append(out, s.digits + s.exponent + 1,
				       (size_t)(s.ndigits - s.exponent - 1));
		}
		return;
	}
	ark_buf_append_char(out, s.digits[0]);
	if (s.ndigits > 1) {
		ark_buf_append_char(out, '.');
		ark_buf_append(out, s.digits + 1, (size_t)s.ndigits - 1);
	}
	ark_buf_appendf(out, "e%c%02d", s.exponent < 0 ? '-' : '+',
			abs(s.exponent));
}
