/* standalone: replay fuzzer inputs without libFuzzer. Each argument is a file (or a
 * directory of files) whose bytes go to LLVMFuzzerTestOneInput once; a broken invariant
 * aborts, a sanitizer build reports what ASan/UBSan see. Prints one line per input. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#include "banned.h"

static int replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t n = 0, cap = 0;

    if (!fp) {
        fprintf(stderr, "standalone: open '%s': %s\n", path, strerror(errno));
        return 1;
    }
    for (;;) {
        size_t got;

        if (n == cap) {
            uint8_t *p = realloc(data, cap ? cap * 2 : 4096);

            if (!p) {
                fprintf(stderr, "standalone: '%s': out of memory\n", path);
                free(data);
                fclose(fp);
                return 1;
            }
            data = p;
            cap = cap ? cap * 2 : 4096;
        }
        got = fread(data + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        fprintf(stderr, "standalone: read '%s': failed\n", path);
        free(data);
        fclose(fp);
        return 1;
    }
    fclose(fp);
    /* an exact-size copy, so that a read past the input's end is a heap overflow */
    {
        uint8_t *exact = malloc(n ? n : 1);

        if (!exact) {
            free(data);
            return 1;
        }
        if (n)
            memcpy(exact, data, n);
        free(data);
        printf("replay %s (%zu bytes)\n", path, n);
        fflush(stdout);
        LLVMFuzzerTestOneInput(exact, n);
        free(exact);
    }
    return 0;
}

static int replay(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "standalone: '%s': %s\n", path, strerror(errno));
        return 1;
    }
    if (!S_ISDIR(st.st_mode))
        return replay_file(path);
    if (!(d = opendir(path))) {
        fprintf(stderr, "standalone: open directory '%s': %s\n", path, strerror(errno));
        return 1;
    }
    while ((de = readdir(d))) {
        char sub[4096];

        if (de->d_name[0] == '.')
            continue;
        if (snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) >= (int)sizeof sub) {
            rc = 1;
            continue;
        }
        rc |= replay(sub);
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0;

    for (int i = 1; i < argc; i++)
        rc |= replay(argv[i]);
    return rc;
}
