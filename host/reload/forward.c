/* forward.c - old function entries jump to the running build (forward.h). */
#include "forward.h"
#include "../os/code.h"

#include <string.h>

#define FORWARD_BEFORE 14 /* nops before the entry: the absolute jump */
#define FORWARD_AT 2      /* nops at the entry: the jump back to it, or the trap */

#if defined(__x86_64__) || defined(_M_X64)
bool forward_supported(void) { return true; }
#else
bool forward_supported(void) { return false; }
#endif

static const uint8_t forward_nops[FORWARD_BEFORE] = {0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
                                                     0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90};
static const uint8_t forward_jump_back[FORWARD_AT] = {0xeb, (uint8_t)-(FORWARD_BEFORE + FORWARD_AT)}; /* jmp -16 */
static const uint8_t forward_trap[FORWARD_AT] = {0x0f, 0x0b};                                         /* ud2 */
static const uint8_t forward_jump_abs[6] = {0xff, 0x25, 0, 0, 0, 0};                                   /* jmp [rip+0] */

/* The entry has the compiler's nops, or a patch of ours from an earlier reload. */
static bool forward_patchable(const uint8_t *entry)
{
    const uint8_t *before = entry - FORWARD_BEFORE;
    bool room = memcmp(before, forward_nops, FORWARD_BEFORE) == 0 ||
                memcmp(before, forward_jump_abs, sizeof(forward_jump_abs)) == 0;
    bool at = memcmp(entry, forward_nops, FORWARD_AT) == 0 || memcmp(entry, forward_jump_back, FORWARD_AT) == 0 ||
              memcmp(entry, forward_trap, FORWARD_AT) == 0;
    return room && at;
}

static bool forward_jump(uint8_t *entry, uintptr_t target)
{
    uint8_t jump[FORWARD_BEFORE];
    memcpy(jump, forward_jump_abs, sizeof(forward_jump_abs));
    memcpy(jump + sizeof(forward_jump_abs), &target, sizeof(target));
    return code_write((uintptr_t)(entry - FORWARD_BEFORE), jump, sizeof(jump)) &&
           code_write((uintptr_t)entry, forward_jump_back, FORWARD_AT);
}

forward_counts forward_patch(const lib_version *old, const lib_version *now)
{
    forward_counts c = {0, 0, 0, 0};
    for (uint32_t i = 0; i < old->symbols.count; i++) {
        const symbol *s = &old->symbols.symbols[i];
        if (s->kind != SYMBOL_CODE || !s->size) continue;
        uint8_t *entry = (uint8_t *)lib_version_address(old, s->vaddr);
        if (!forward_supported() || (uintptr_t)entry < old->start + FORWARD_BEFORE || !forward_patchable(entry)) {
            c.unpatchable++;
            continue;
        }
        uint32_t matches = 0;
        const symbol *to = symbols_lookup(&now->symbols, s->name, SYMBOL_CODE, &matches);
        if (!to && matches > 1) { /* static functions of one name in several files: which is meant is unknown */
            c.ambiguous++;
            continue;
        }
        bool ok = to ? forward_jump(entry, lib_version_address(now, to->vaddr))
                     : code_write((uintptr_t)entry, forward_trap, FORWARD_AT);
        if (!ok) c.unpatchable++;
        else if (to) c.forwarded++;
        else c.missing++;
    }
    return c;
}
