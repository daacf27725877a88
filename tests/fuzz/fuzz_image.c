/* fuzz_image.c - loader_check_image, the gate every library file passes before the OS loader sees it,
 * on arbitrary bytes: it must never read outside them (ASan watches) and whatever it accepts must
 * have its program headers and loadable segments inside the file. Seeds: a real game library. */
#include "host/os/loader.h"

#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1); /* exact size, so ASan sees any read past the end */
    memcpy(copy, data, size);
    host_error err;
    if (loader_check_image(copy, size, &err)) {
        ElfW(Ehdr) eh;
        memcpy(&eh, copy, sizeof(eh));
        if ((uint64_t)eh.e_phoff + (uint64_t)eh.e_phnum * eh.e_phentsize > size) abort();
        for (int i = 0; i < eh.e_phnum; i++) {
            ElfW(Phdr) ph;
            memcpy(&ph, copy + eh.e_phoff + (uint64_t)i * eh.e_phentsize, sizeof(ph));
            if (ph.p_type == PT_LOAD && (uint64_t)ph.p_offset + ph.p_filesz > size) abort();
        }
    } else if (!err.msg[0] || strchr(err.msg, '\n')) {
        abort(); /* a refusal is always one line */
    }
    free(copy);
    return 0;
}
