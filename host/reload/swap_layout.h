/* swap_layout.h - the state's layouts at every swap (layout.h does the work): compared before the
 * swap, then the state migrated, refused or thrown away as --on-layout-change says, with the
 * `layout` events. The reload core calls these at fixed points of its swap and runs every game
 * hook itself:
 *
 *     swap_layout_admit     before anything is touched: false (with the reason) refuses the build
 *     swap_layout_begin     after before_reload: migrates the state, or says it must start over
 *     ... the core swaps the code; on a restart it runs shutdown, resets the block, runs init ...
 *     swap_layout_adopt     the new layouts become the state's
 *     ... the core runs the game's migrate hook when there is a migration ...
 *     swap_layout_end       reports the migration and frees the comparison */
#ifndef SWAP_LAYOUT_H
#define SWAP_LAYOUT_H

#include "../base/block.h"
#include "../base/events.h"
#include "../../arena/heap.h"
#include "layout.h"

/* What the layout step works on, as the core sees it at that moment. */
typedef struct swap_layout_scene {
    block_header *block;
    heap_region *heap;
    const event_log *events;
    layout_policy policy;
    bool initialized;  /* init returned on the current state: there is a state to compare */
    uint64_t running;  /* version numbers, for the messages */
    uint64_t incoming;
} swap_layout_scene;

/* One swap's layout step, on the swap's stack: a rollback's swap inside after_reload has its own. */
typedef struct swap_layout {
    layout_library next;         /* the incoming library's layouts */
    layout_diff *diff;           /* NULL: nothing to compare (no state yet, or none stored) */
    layout_migration *migration; /* the state was migrated */
    bool restart;                /* the state must start over: init runs on the new code */
    bool store;                  /* the new layouts become the state's */
    arena_temp scratch;          /* holds diff and migration */
} swap_layout;

/* The running library's layouts, copied into the block: the layouts of the state from now on.
 * `migrated`: the same state, so the counts of past migrations carry over. */
void swap_layout_store(const swap_layout_scene *s, const game_api *api, bool migrated);
/* Before a reload touches anything: false, with the reason (and a `layout` event), when `next`
 * must not run on this state. */
bool swap_layout_admit(const swap_layout_scene *s, const game_api *next, host_error *err);
/* After before_reload, before the swap: the state takes `next`'s layouts, migrated, or sw->restart
 * when the policy says restart or it cannot be migrated (reported here; the core then runs shutdown
 * and resets the state). */
void swap_layout_begin(const swap_layout_scene *s, const game_api *next, swap_layout *sw);
/* After the swap (and init on a restarted state): stores the new layouts when they changed, so a
 * rollback from a crash from here on migrates back. */
void swap_layout_adopt(const swap_layout_scene *s, const game_api *api, swap_layout *sw);
/* The end of the step: `migrated` (the game's migrate hook did not crash) reports the migration;
 * the comparison is freed either way. */
void swap_layout_end(const swap_layout_scene *s, swap_layout *sw, bool migrated);

#endif
