#ifndef SPW_REVIEW_CLIBGIT2_SHIM_H
#define SPW_REVIEW_CLIBGIT2_SHIM_H
#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

/* git_libgit2_opts is variadic, which Swift cannot call: one wrapper per option used. */
static inline int spw_git_set_strict_hash_verification(int enabled) {
	return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}
#endif
