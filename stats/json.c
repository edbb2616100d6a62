/*
 * stats/json.c - streaming JSON emitter with sticky errors.
 *
 * Strings are escaped per RFC 8259 §7 and checked as UTF-8 (RFC 3629 §4:
 * no overlong forms, no surrogates, nothing above U+10FFFF); each invalid
 * byte becomes U+FFFD so a summary can always be parsed, whatever bytes a
 * user put into a command-line value.
 */
#include "stats/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/error.h"

size_t stats_u128_format(stats_u128 v, char *buf)
{
    char tmp[STATS_U128_TEXT_MAX];
    size_t i = sizeof(tmp) - 1;
    tmp[i] = '\0';
    /* Peel 19 digits at a time so the inner loop runs on 64-bit words. */
    do {
        uint64_t chunk = (uint64_t)(v % 10000000000000000000ull);
        v /= 10000000000000000000ull;
        for (int k = 0; k < 19 && (chunk != 0 || v != 0 || k == 0); k++) {
            tmp[--i] = (char)('0' + chunk % 10);
            chunk /= 10;
        }
    } while (v != 0);
    size_t n = sizeof(tmp) - 1 - i;
    memcpy(buf, tmp + i, n + 1);
    return n;
}

void stats_json_init(struct stats_json *j, char *buf, size_t cap, unsigned flags)
{
    memset(j, 0, sizeof(*j));
    j->flags = flags;
    if (buf != NULL) {
        j->buf = buf;
        j->cap = cap;
        if (cap == 0)
            j->err = STATS_E_SPACE;
        else
            buf[0] = '\0';
    } else {
        j->grow = true;
    }
}

void stats_json_fini(struct stats_json *j)
{
    if (j == NULL)
        return;
    if (j->grow)
        free(j->buf);
    j->buf = NULL;
    j->len = j->cap = 0;
}

/* Append n bytes, keeping one byte spare for the final NUL. */
static void emit(struct stats_json *j, const char *s, size_t n)
{
    if (j->err != 0)
        return;
    if (n + 1 > j->cap - j->len || j->cap == 0) {
        if (!j->grow) {
            j->err = STATS_E_SPACE;
            return;
        }
        size_t want = j->cap == 0 ? 4096 : j->cap;
        while (want - j->len < n + 1) {
            if (want > SIZE_MAX / 2) {
                j->err = -ENOMEM;
                return;
            }
            want *= 2;
        }
        char *nb = realloc(j->buf, want);
        if (nb == NULL) {
            j->err = -ENOMEM;
            return;
        }
        j->buf = nb;
        j->cap = want;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

#define EMIT_LIT(j, lit) emit((j), (lit), sizeof(lit) - 1)

static void newline_indent(struct stats_json *j, unsigned depth)
{
    static const char spaces[] = "                                                                ";
    if ((j->flags & STATS_JSON_PRETTY) == 0)
        return;
    EMIT_LIT(j, "\n");
    for (unsigned d = 0; d < depth; d++)
        emit(j, spaces, 2);
}

static void fail(struct stats_json *j, int err)
{
    if (j->err == 0)
        j->err = err;
}

/* Comma and indentation before a member of the innermost container. */
static void separator(struct stats_json *j)
{
    uint64_t bit = 1ull << j->depth;
    if (j->nonempty & bit)
        EMIT_LIT(j, ",");
    j->nonempty |= bit;
    newline_indent(j, j->depth);
}

/* Position check before any value: after a key in an object, as a member of an array, or the root.
 */
static bool before_value(struct stats_json *j)
{
    if (j->err != 0)
        return false;
    if (j->depth == 0) {
        if (j->nonempty & 1u) {
            fail(j, STATS_E_JSON);
            return false;
        }
        j->nonempty |= 1u;
        return true;
    }
    if (j->is_obj & (1ull << j->depth)) {
        if (!j->after_key) {
            fail(j, STATS_E_JSON);
            return false;
        }
        j->after_key = false;
        return true;
    }
    separator(j);
    return true;
}

static void begin(struct stats_json *j, bool obj)
{
    if (!before_value(j))
        return;
    if (j->depth + 1 > STATS_JSON_DEPTH_MAX) {
        fail(j, STATS_E_JSON);
        return;
    }
    j->depth++;
    uint64_t bit = 1ull << j->depth;
    j->nonempty &= ~bit;
    if (obj)
        j->is_obj |= bit;
    else
        j->is_obj &= ~bit;
    emit(j, obj ? "{" : "[", 1);
}

static void end(struct stats_json *j, bool obj)
{
    if (j->err != 0)
        return;
    uint64_t bit = 1ull << j->depth;
    if (j->depth == 0 || ((j->is_obj & bit) != 0) != obj || j->after_key) {
        fail(j, STATS_E_JSON);
        return;
    }
    if (j->nonempty & bit)
        newline_indent(j, j->depth - 1);
    j->depth--;
    emit(j, obj ? "}" : "]", 1);
}

void stats_json_object_begin(struct stats_json *j)
{
    begin(j, true);
}

void stats_json_object_end(struct stats_json *j)
{
    end(j, true);
}

void stats_json_array_begin(struct stats_json *j)
{
    begin(j, false);
}

void stats_json_array_end(struct stats_json *j)
{
    end(j, false);
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one (RFC 3629 §4). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

static void string_body(struct stats_json *j, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0; /* bytes at s[i - run .. i) that need no escaping */
    EMIT_LIT(j, "\"");
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            run++;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t l = utf8_seq(s + i, n - i);
            if (l > 0) {
                run += l;
                i += l;
                continue;
            }
        }
        emit(j, (const char *)s + i - run, run);
        run = 0;
        char esc[6] = { '\\', 0, 0, 0, 0, 0 };
        size_t elen = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            if (c >= 0x80) {
                EMIT_LIT(j, "\\ufffd"); /* invalid UTF-8 byte */
                i++;
                continue;
            }
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
            break;
        }
        emit(j, esc, elen);
        i++;
    }
    emit(j, (const char *)s + n - run, run);
    EMIT_LIT(j, "\"");
}

void stats_json_key(struct stats_json *j, const char *key)
{
    if (j->err != 0)
        return;
    if (key == NULL || j->depth == 0 || (j->is_obj & (1ull << j->depth)) == 0 || j->after_key) {
        fail(j, STATS_E_JSON);
        return;
    }
    separator(j);
    string_body(j, key, strlen(key));
    if (j->flags & STATS_JSON_PRETTY)
        EMIT_LIT(j, ": ");
    else
        EMIT_LIT(j, ":");
    j->after_key = true;
}

void stats_json_strn(struct stats_json *j, const char *s, size_t len)
{
    if (before_value(j))
        string_body(j, s, len);
}

void stats_json_str(struct stats_json *j, const char *s)
{
    if (s == NULL)
        stats_json_null(j);
    else
        stats_json_strn(j, s, strlen(s));
}

void stats_json_u64(struct stats_json *j, uint64_t v)
{
    stats_json_u128(j, v);
}

void stats_json_i64(struct stats_json *j, int64_t v)
{
    char tmp[STATS_U128_TEXT_MAX + 1];
    if (!before_value(j))
        return;
    if (v < 0) {
        tmp[0] = '-';
        /* Negate in unsigned arithmetic: INT64_MIN has no positive int64_t. */
        size_t n = stats_u128_format((stats_u128)(0 - (uint64_t)v), tmp + 1);
        emit(j, tmp, n + 1);
    } else {
        emit(j, tmp, stats_u128_format((stats_u128)v, tmp));
    }
}

void stats_json_u128(struct stats_json *j, stats_u128 v)
{
    char tmp[STATS_U128_TEXT_MAX];
    if (before_value(j))
        emit(j, tmp, stats_u128_format(v, tmp));
}

void stats_json_u128_carry(struct stats_json *j, bool carry, stats_u128 v)
{
    /* 2^128 has 39 digits, v at most 39: add them as decimal strings. */
    static const char two128[] = "340282366920938463463374607431768211456";
    char d[STATS_U128_TEXT_MAX], out[STATS_U128_TEXT_MAX + 1];
    if (!carry) {
        stats_json_u128(j, v);
        return;
    }
    if (!before_value(j))
        return;
    size_t n = stats_u128_format(v, d), m = sizeof(two128) - 1, o = sizeof(out);
    unsigned c = 0;
    for (size_t i = 0; i < m || c != 0; i++) {
        unsigned x = c + (i < m ? (unsigned)(two128[m - 1 - i] - '0') : 0) +
                     (i < n ? (unsigned)(d[n - 1 - i] - '0') : 0);
        out[--o] = (char)('0' + x % 10);
        c = x / 10;
    }
    emit(j, out + o, sizeof(out) - o);
}

void stats_json_fixed(struct stats_json *j, double v, unsigned decimals)
{
    static const uint64_t pow10[10] = { 1,      10,      100,      1000,      10000,
                                        100000, 1000000, 10000000, 100000000, 1000000000 };
    char tmp[64];
    size_t n = 0;
    if (v != v || v - v != 0) { /* NaN or infinite: written without <math.h> */
        stats_json_null(j);
        return;
    }
    if (!before_value(j))
        return;
    if (decimals > 9)
        decimals = 9;
    double a = v < 0 ? -v : v;
    double scaled = a * (double)pow10[decimals] + 0.5;
    if (scaled >= 9.0e18) {
        /* Too large for exact fixed point; integral anyway at this magnitude. "%.0f" has no
         * decimal point, so LC_NUMERIC cannot change it. */
        int w = snprintf(tmp, sizeof(tmp), "%.0f", v);
        if (w > 0 && (size_t)w < sizeof(tmp))
            emit(j, tmp, (size_t)w);
        else
            fail(j, STATS_E_SPACE);
        return;
    }
    uint64_t q = (uint64_t)scaled;
    if (v < 0 && q != 0)
        tmp[n++] = '-';
    n += stats_u128_format(q / pow10[decimals], tmp + n);
    if (decimals > 0) {
        uint64_t frac = q % pow10[decimals];
        tmp[n++] = '.';
        for (unsigned d = decimals; d-- > 0;) {
            tmp[n + d] = (char)('0' + frac % 10);
            frac /= 10;
        }
        n += decimals;
    }
    emit(j, tmp, n);
}

void stats_json_bool(struct stats_json *j, bool v)
{
    if (!before_value(j))
        return;
    if (v)
        EMIT_LIT(j, "true");
    else
        EMIT_LIT(j, "false");
}

void stats_json_null(struct stats_json *j)
{
    if (before_value(j))
        EMIT_LIT(j, "null");
}

int stats_json_finish(struct stats_json *j)
{
    if (j->err == 0 && (j->depth != 0 || j->after_key || (j->nonempty & 1u) == 0))
        j->err = STATS_E_JSON;
    EMIT_LIT(j, "\n");
    if (j->err != 0)
        return j->err;
    if (j->len > (size_t)INT32_MAX)
        return STATS_E_SPACE;
    return (int)j->len;
}
