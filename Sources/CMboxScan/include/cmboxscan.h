#ifndef SPW_REVIEW_CMBOXSCAN_H
#define SPW_REVIEW_CMBOXSCAN_H
#include <stddef.h>
#include <stdint.h>

/* The lines of an mbox that need no more than counting, skipped sixty-four bytes at a time.
 *
 * `start` is the start of a line in `bytes[0..<count]`. Returns the start of the first line at
 * or after `start` that the reader must look at itself: one that starts `From ` (a separator
 * may) or `>From `, `>>From `, … (an escaped one may), one longer than `huge` bytes
 * (reported), or one with no newline before `count` (not complete yet). Returns `count` when every line is complete and
 * ordinary. `*lines` gets the number of lines skipped (each ends in a newline, so the
 * skipped bytes hold exactly that many newlines). */
size_t spw_mbox_skip_ordinary_lines(const uint8_t *bytes, size_t start, size_t count, size_t huge,
                                    size_t *lines);

#endif
