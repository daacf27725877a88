/* fuzz_cli.c - the host's command line and size parsers on arbitrary arguments: never a crash or an
 * out-of-bounds read, every refusal one line, and every accepted size re-parses to the same value. */
#include "host/cli.h"
#include "host/base/units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* NUL bytes split the input into arguments */
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    char *argv[32] = {"host"};
    int argc = 1;
    for (size_t i = 0; i < size && argc < 31;) {
        argv[argc++] = text + i;
        i += strlen(text + i) + 1;
    }
    argv[argc] = NULL;
    host_options opts;
    host_error err = {{0}};
    if (cli_parse(argc, argv, CLI_HOST, &opts, &err) == CLI_BAD && (!err.msg[0] || strchr(err.msg, '\n'))) abort();
    for (int i = 1; i < argc; i++) {
        uint64_t v, again;
        if (units_parse_size(argv[i], &v)) {
            char digits[32];
            snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
            if (!units_parse_size(digits, &again) || again != v) abort();
        }
        if (units_parse_u64(argv[i], &v) && units_parse_u64(argv[i], &again) && again != v) abort();
    }
    free(text);
    return 0;
}
