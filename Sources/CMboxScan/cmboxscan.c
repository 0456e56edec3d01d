#include "cmboxscan.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Why C: the reader's per-line loop was a memchr call per line (mail lines are short, so the
 * call cost more than the search), and Swift has no portable way to turn a vector comparison
 * into a bit mask. Here newlines, and the byte after each, are tested sixty-four at a time. */

/* The line at `start` begins `From ` (a separator may) or `>…>From ` (an escaped one), or it
 * ends before it can be told: the reader decides. */
static int needs_look(const uint8_t *b, size_t start, size_t count) {
    size_t i = start;
    if (i < count && b[i] == '>') {
        while (i < count && b[i] == '>') i++;
    } else if (i < count && b[i] != 'F') {
        return 0;
    }
    if (i + 5 > count) return 1;
    return b[i] == 'F' && b[i + 1] == 'r' && b[i + 2] == 'o' && b[i + 3] == 'm' && b[i + 4] == ' ';
}

size_t spw_mbox_skip_ordinary_lines(const uint8_t *b, size_t start, size_t count, size_t huge,
                                    size_t *lines) {
    size_t counted = 0;
    size_t line = start; /* the start of the line being skipped */
    size_t at = start;   /* no newline in b[line..<at] */
    *lines = 0;
    if (line >= count || needs_look(b, line, count)) return line;
#if defined(__SSE2__)
    const __m128i newline = _mm_set1_epi8('\n');
    const __m128i from = _mm_set1_epi8('F');
    const __m128i greater = _mm_set1_epi8('>');
    /* b[at + 64] is read as the byte after a newline at b[at + 63]: stop a byte short. Only
     * the first line a block ends can be huge when lines of 64 bytes are not. */
    while (huge >= 64 && at + 65 <= count) {
        __m128i n0 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(b + at)), newline);
        __m128i n1 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(b + at + 16)), newline);
        __m128i n2 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(b + at + 32)), newline);
        __m128i n3 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(b + at + 48)), newline);
        uint64_t newlines = (uint64_t)(unsigned)_mm_movemask_epi8(n0)
            | (uint64_t)(unsigned)_mm_movemask_epi8(n1) << 16
            | (uint64_t)(unsigned)_mm_movemask_epi8(n2) << 32
            | (uint64_t)(unsigned)_mm_movemask_epi8(n3) << 48;
        if (newlines == 0) {
            if (at + 64 - line > huge) break;
            at += 64;
            continue;
        }
        if (at + (size_t)__builtin_ctzll(newlines) - line > huge) break;
        /* Newlines followed by 'F' or '>': most are `From:` headers and quoted text, told
         * apart from separators one by one. */
        __m128i a0 = _mm_loadu_si128((const __m128i *)(b + at + 1));
        __m128i a1 = _mm_loadu_si128((const __m128i *)(b + at + 17));
        __m128i a2 = _mm_loadu_si128((const __m128i *)(b + at + 33));
        __m128i a3 = _mm_loadu_si128((const __m128i *)(b + at + 49));
        uint64_t looks = (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(a0, from), _mm_cmpeq_epi8(a0, greater)))
            | (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(a1, from), _mm_cmpeq_epi8(a1, greater))) << 16
            | (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(a2, from), _mm_cmpeq_epi8(a2, greater))) << 32
            | (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(a3, from), _mm_cmpeq_epi8(a3, greater))) << 48;
        for (uint64_t stops = newlines & looks; stops != 0; stops &= stops - 1) {
            unsigned k = (unsigned)__builtin_ctzll(stops);
            if (needs_look(b, at + k + 1, count)) {
                uint64_t upto = k == 63 ? ~(uint64_t)0 : ((uint64_t)2 << k) - 1;
                *lines = counted + (size_t)__builtin_popcountll(newlines & upto);
                return at + k + 1;
            }
        }
        counted += (size_t)__builtin_popcountll(newlines);
        line = at + 64 - (size_t)__builtin_clzll(newlines); /* after the block's last newline */
        at += 64;
    }
#endif
    /* The rest (and every byte without SSE2), a line at a time. */
    for (;;) {
        size_t i = at;
        while (i < count && b[i] != '\n') {
            if (++i - line > huge) goto done; /* a huge line: the reader reports it */
        }
        if (i >= count || i - line > huge) break;
        counted++;
        line = i + 1;
        at = line;
        if (line >= count || needs_look(b, line, count)) break;
    }
done:
    *lines = counted;
    return line;
}
