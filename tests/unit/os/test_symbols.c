/* test_symbols.c - proves the symbol table read from ELF bytes: this test program's own file is the
 * library under test, so every expected name and address is known. Static functions are found by
 * address and by name, with offsets; data symbols get the right kind (.data and .bss writable,
 * GAME_TRANSIENT transient, const and RELRO data read-only, _Thread_local thread); the C runtime's
 * own symbols are left out; a file without .symtab falls back to .dynsym; two static functions of
 * one name are ambiguous, not a guess; formatting falls back to a section, then to a bare address;
 * and damaged or truncated files are refused or read partly, never out of bounds (ASan checks the
 * reads, since each damaged copy sits in a buffer of exactly its size). */
#include "../test_util.h"

#include "host/api/game_api.h"
#include "host/os/symbols.h"

#include <elf.h>
#include <link.h>

/* ---- what the table must find ------------------------------------------------------------ */

static BASE_NOINLINE int symbols_test_target(int x) { return x * 3 + 1; }

static int symbols_test_data = 5;
static char symbols_test_bss[64];
static GAME_TRANSIENT int symbols_test_transient;
static const int symbols_test_const[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const char *const symbols_test_relro[] = {"pointers", "need", "relocation"};
static _Thread_local int symbols_test_thread;

/* Keeps the data symbols alive (the compiler drops what nothing uses). */
static volatile uintptr_t symbols_sink;

static void symbols_use_data(void)
{
    symbols_test_data++;
    symbols_test_bss[3]++;
    symbols_test_transient++;
    symbols_test_thread++;
    symbols_sink = (uintptr_t)symbols_test_const + (uintptr_t)symbols_test_relro + (uintptr_t)&symbols_test_thread;
}

/* ---- the program's own file and where it is mapped ---------------------------------------- */

typedef struct self_image {
    uint8_t *bytes;
    uint64_t size;
    uintptr_t start; /* the lowest mapped address of the program */
} self_image;

static int find_main_program(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uintptr_t lowest = UINTPTR_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_LOAD && info->dlpi_phdr[i].p_vaddr < lowest) lowest = info->dlpi_phdr[i].p_vaddr;
    *(uintptr_t *)data = info->dlpi_addr + lowest;
    return 1; /* the first entry is the program itself */
}

static self_image self_read(void)
{
    self_image s = {0};
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    s.size = (uint64_t)st.st_size;
    s.bytes = malloc(s.size);
    assert_non_null(s.bytes);
    for (uint64_t got = 0; got < s.size;) {
        ssize_t n = read(fd, s.bytes + got, s.size - got);
        assert_true(n > 0);
        got += (uint64_t)n;
    }
    close(fd);
    dl_iterate_phdr(find_main_program, &s.start);
    return s;
}

typedef struct fixture {
    self_image self;
    symbol_table table;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    symbols_use_data();
    f->self = self_read();
    host_error err;
    if (!symbols_read(f->self.bytes, f->self.size, &f->table, &err)) {
        print_error("symbols_read: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    symbols_free(&f->table);
    free(f->self.bytes);
    free(f);
    return 0;
}

#define F ((fixture *)*state)

static uint64_t vaddr_of(const fixture *f, const void *p) { return (uintptr_t)p - f->self.start + f->table.image_vaddr; }

static const symbol *named(const fixture *f, const char *name)
{
    for (uint32_t i = 0; i < f->table.count; i++)
        if (strcmp(f->table.symbols[i].name, name) == 0) return &f->table.symbols[i];
    return NULL;
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_a_static_function_is_found_by_address_and_by_name(void **state)
{
    uint64_t at = vaddr_of(F, (const void *)(uintptr_t)symbols_test_target);
    const symbol *s = symbols_find(&F->table, at + 2);
    assert_non_null(s);
    assert_string_equal(s->name, "symbols_test_target");
    assert_int_equal(s->kind, SYMBOL_CODE);
    assert_int_equal(s->vaddr, at);
    assert_true(s->size > 2);
    const symbol *by_name = symbols_lookup(&F->table, "symbols_test_target", SYMBOL_CODE, NULL);
    assert_ptr_equal(by_name, s);
    assert_null(symbols_lookup(&F->table, "symbols_test_target", SYMBOL_WRITABLE, NULL));
    assert_null(symbols_lookup(&F->table, "symbols_test_no_such_function", SYMBOL_CODE, NULL));
    assert_int_equal(symbols_test_target(2), 7);
}

static void test_format_names_symbol_plus_offset(void **state)
{
    char text[128];
    uint64_t at = vaddr_of(F, (const void *)(uintptr_t)symbols_test_target);
    symbols_format(&F->table, at + 0x2, text, sizeof(text));
    assert_string_equal(text, "symbols_test_target+0x2");
    /* a tiny buffer is cut, never overrun, and always terminated */
    char tiny[8];
    memset(tiny, 'x', sizeof(tiny));
    size_t n = symbols_format(&F->table, at, tiny, sizeof(tiny));
    assert_int_equal(n, 7);
    assert_string_equal(tiny, "symbols");
}

static void test_data_symbols_get_their_kind(void **state)
{
    struct {
        const char *name;
        symbol_kind kind;
        const char *section_prefix;
    } expect[] = {
        {"symbols_test_data", SYMBOL_WRITABLE, ".data"},
        {"symbols_test_bss", SYMBOL_WRITABLE, ".bss"},
        {"symbols_test_transient", SYMBOL_TRANSIENT, "game_transient"},
        {"symbols_test_const", SYMBOL_CONST, ".rodata"},
        {"symbols_test_relro", SYMBOL_CONST, ".data.rel.ro"},
        {"symbols_test_thread", SYMBOL_THREAD, ".tbss"},
    };
    for (size_t i = 0; i < ARRAY_COUNT(expect); i++) {
        const symbol *s = named(F, expect[i].name);
        if (!s) fail_msg("%s not in the table", expect[i].name);
        if (s->kind != expect[i].kind || strncmp(s->section, expect[i].section_prefix, strlen(expect[i].section_prefix)))
            fail_msg("%s: kind %d in %s, want %d in %s", s->name, s->kind, s->section, expect[i].kind,
                     expect[i].section_prefix);
    }
    const symbol *bss = named(F, "symbols_test_bss");
    assert_int_equal(bss->size, 64);
    assert_ptr_equal(symbols_find(&F->table, vaddr_of(F, &symbols_test_bss[63])), bss);
    /* a thread-local has no address of its own: an address never resolves to one */
    const symbol *t = named(F, "symbols_test_thread");
    const symbol *at = symbols_find(&F->table, t->vaddr);
    assert_true(at == NULL || at->kind != SYMBOL_THREAD);
}

static void test_runtime_symbols_are_left_out(void **state)
{
    assert_null(named(F, "completed.0"));
    assert_null(named(F, "__do_global_dtors_aux"));
    assert_null(named(F, "_DYNAMIC"));
}

static void test_stripped_file_falls_back_to_dynsym(void **state)
{
    /* hide .symtab by turning its section header into an unused one */
    uint8_t *copy = malloc(F->self.size);
    memcpy(copy, F->self.bytes, F->self.size);
    ElfW(Ehdr) eh;
    memcpy(&eh, copy, sizeof(eh));
    bool hidden = false;
    for (int i = 0; i < eh.e_shnum; i++) {
        ElfW(Shdr) sh;
        uint8_t *at = copy + eh.e_shoff + (uint64_t)i * eh.e_shentsize;
        memcpy(&sh, at, sizeof(sh));
        if (sh.sh_type != SHT_SYMTAB) continue;
        sh.sh_type = SHT_PROGBITS;
        memcpy(at, &sh, sizeof(sh));
        hidden = true;
    }
    assert_true(hidden);
    symbol_table t;
    host_error err;
    assert_true(symbols_read(copy, F->self.size, &t, &err));
    assert_null(symbols_lookup(&t, "symbols_test_target", SYMBOL_CODE, NULL)); /* static: only in .symtab */
    assert_non_null(symbols_lookup(&t, "stderr", SYMBOL_WRITABLE, NULL));      /* a copy-relocated import */
    symbols_free(&t);
    free(copy);
}

static void test_two_static_functions_of_one_name_are_ambiguous(void **state)
{
    (void)state;
    static char strings[] = "update\0update\0draw";
    symbol_table t;
    memset(&t, 0, sizeof(t));
    t.symbols = malloc(3 * sizeof(symbol));
    t.symbols[0] = (symbol){0x2000, 0x40, strings, ".text", SYMBOL_CODE};
    t.symbols[1] = (symbol){0x1000, 0x40, strings + 7, ".text", SYMBOL_CODE};
    t.symbols[2] = (symbol){0x3000, 0x40, strings + 14, ".text", SYMBOL_CODE};
    t.count = 3;
    assert_true(symbols_finish(&t));
    uint32_t matches = 0;
    assert_null(symbols_lookup(&t, "update", SYMBOL_CODE, &matches));
    assert_int_equal(matches, 2);
    const symbol *draw = symbols_lookup(&t, "draw", SYMBOL_CODE, &matches);
    assert_non_null(draw);
    assert_int_equal(matches, 1);
    assert_int_equal(draw->vaddr, 0x3000);
    /* no section, no symbol: a bare address */
    char text[64];
    symbols_format(&t, 0x9000, text, sizeof(text));
    assert_string_equal(text, "0x9000");
    t.sections = malloc(sizeof(symbol_section));
    t.sections[0] = (symbol_section){0x8000, 0x2000, ".rodata"};
    t.section_count = 1;
    symbols_format(&t, 0x9010, text, sizeof(text));
    assert_string_equal(text, ".rodata+0x1010");
    t.strings = NULL; /* the names are this test's */
    symbols_free(&t);
}

static void test_not_elf_and_truncated_files_are_refused_or_read_partly(void **state)
{
    symbol_table t;
    host_error err;
    assert_false(symbols_read("not an ELF file", 15, &t, &err));
    assert_non_null(strstr(err.msg, "ELF"));
    assert_false(symbols_read("", 0, &t, &err));
    /* every cut point of the headers, and coarser ones through the rest */
    for (uint64_t cut = 0; cut < F->self.size; cut += cut < 4096 ? 61 : 8191) {
        uint8_t *head = malloc(cut ? cut : 1);
        memcpy(head, F->self.bytes, cut);
        if (symbols_read(head, cut, &t, &err)) symbols_free(&t);
        free(head);
    }
}

static void test_damaged_files_are_never_read_out_of_bounds(void **state)
{
    ElfW(Ehdr) eh;
    memcpy(&eh, F->self.bytes, sizeof(eh));
    unsigned seed = 42;
    uint8_t *copy = malloc(F->self.size);
    for (int round = 0; round < 300; round++) {
        memcpy(copy, F->self.bytes, F->self.size);
        for (int k = 0; k < 8; k++) {
            /* damage the headers: the ELF header, a section header, or a symbol */
            uint64_t r = (uint64_t)rand_r(&seed);
            uint64_t at = k % 2 ? r % sizeof(eh)
                                : eh.e_shoff + r % ((uint64_t)eh.e_shnum * eh.e_shentsize);
            copy[at] = (uint8_t)(r >> 8);
        }
        symbol_table t;
        host_error err;
        if (symbols_read(copy, F->self.size, &t, &err)) {
            char text[64];
            symbols_format(&t, (uint64_t)rand_r(&seed), text, sizeof(text));
            symbols_free(&t);
        }
    }
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_static_function_is_found_by_address_and_by_name),
        cmocka_unit_test(test_format_names_symbol_plus_offset),
        cmocka_unit_test(test_data_symbols_get_their_kind),
        cmocka_unit_test(test_runtime_symbols_are_left_out),
        cmocka_unit_test(test_stripped_file_falls_back_to_dynsym),
        cmocka_unit_test(test_two_static_functions_of_one_name_are_ambiguous),
        cmocka_unit_test(test_not_elf_and_truncated_files_are_refused_or_read_partly),
        cmocka_unit_test(test_damaged_files_are_never_read_out_of_bounds),
    };
    return cmocka_run_group_tests_name("symbols", tests, setup, teardown);
}
