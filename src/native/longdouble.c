/* INCRBYFLOAT arithmetic in C's long double, as Redis does it (80-bit extended precision
 * on x86-64), so that results and their text match redis-server byte for byte.
 * Parsing follows Redis's string2ld and printing its ld2string(LD_STR_HUMAN). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FR_MAX_LD_CHARS (5 * 1024)

/* 1 when s[0..len) is a valid long double (Redis's string2ld rules). */
static int fr_string2ld(const char *s, size_t len, long double *out) {
    char buf[FR_MAX_LD_CHARS];
    char *eptr;
    long double v;
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtold(buf, &eptr);
    /* A NUL inside the value ends strtold early: the whole length must be consumed. */
    if (isspace((unsigned char)buf[0]) || eptr[0] != '\0' || (size_t)(eptr - buf) != len ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
        isnan(v))
        return 0;
    *out = v;
    return 1;
}

/* Returns 0 and writes the text of cur+incr to out (NUL-terminated), or:
 * 1 when cur is not a valid float, 2 when incr is not, 3 when the sum is NaN/inf,
 * 4 when the text does not fit. */
int fakeredis_incrbyfloat(const char *cur, size_t curlen, int has_cur, const char *incr,
                          size_t incrlen, char *out, size_t outlen) {
    long double a = 0, b = 0, v;
    int l;
    if (has_cur && !fr_string2ld(cur, curlen, &a)) return 1;
    if (!fr_string2ld(incr, incrlen, &b)) return 2;
    v = a + b;
    if (isnan(v) || isinf(v)) return 3;
    l = snprintf(out, outlen, "%.17Lf", v);
    if (l < 0 || (size_t)l + 1 > outlen) return 4;
    if (strchr(out, '.') != NULL) {
        char *p = out + l - 1;
        while (*p == '0') { p--; l--; }
        if (*p == '.') l--;
    }
    if (l == 2 && out[0] == '-' && out[1] == '0') { out[0] = '0'; l = 1; }
    out[l] = '\0';
    return 0;
}
