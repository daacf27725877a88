/* forward.h - --old-code forward: the builds a reload swaps out stay loaded, and every function
 * entry of theirs jumps to the function of the same name in the running build, so that a pointer
 * the block does not hold - a callback another library of the process keeps, a return address on a
 * thread's stack, a host table - still reaches the new code. x86-64 only.
 *
 *     forward_counts c = forward_patch(old_version, &versions->running);  // at every reload, for
 *                                                                         // every build kept
 *
 * What a build must pass: -fpatchable-function-entry=16,14 (GCC and Clang; ./build.sh game passes
 * it): 14 bytes of nops before each function's entry and 2 at it. The patch writes an absolute jump
 * (jmp [rip+0] and the target) into the 14 bytes and a 2-byte jump back to them at the entry, so
 * nothing of the function's own code changes: a thread inside the old function (a return address on
 * its stack) finishes it in the old code, which still has its old data. A function the running build
 * lacks gets a trap (ud2) at its entry: its call is the stale-pointer crash, naming it. A function
 * without the nops (a build without the flag, a compiler-made part such as fn.cold) is left as it
 * is and counted `unpatchable`; so is a static function whose name the running build has in several
 * files (`ambiguous`: the copies of a static inline function, which the old code calls itself).
 * Every kept build is patched again at each reload, so an old entry
 * always jumps straight to the newest build, never through another old one. */
#ifndef FORWARD_H
#define FORWARD_H

#include "versions.h"

typedef struct forward_counts {
    uint32_t forwarded;   /* entries that jump to the running build */
    uint32_t missing;     /* entries of functions the running build lacks: a trap */
    uint32_t unpatchable; /* entries without room for a jump */
    uint32_t ambiguous;   /* static functions whose name the running build has in several files (the
                             copies of a static inline function): left as they are */
} forward_counts;

/* True where the jumps can be written (x86-64). */
bool forward_supported(void);

/* Points every function of `old` (still loaded) at its namesake in `now`. */
forward_counts forward_patch(const lib_version *old, const lib_version *now);

#endif
