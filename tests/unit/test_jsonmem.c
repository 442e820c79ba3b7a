/* test_jsonmem: cJSON's arena (ingest/jsonmem.h). Allocations are aligned and distinct,
 * the arena starts over once nothing in it is live and keeps only its largest chunk, a
 * pointer from malloc is handed to free, a thread without the arena uses malloc, and a
 * page parsed, printed and deleted through the hooks leaves nothing live. */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jsonmem.h"

static void *other_thread(void *arg)
{
    size_t *held = arg;
    void *p = jsonmem_alloc(100);

    *held = jsonmem_held(); /* no arena here: malloc */
    jsonmem_free(p);
    return NULL;
}

int main(void)
{
    void *p[1000];
    char *text;
    cJSON *root;
    size_t held;
    pthread_t t;

    jsonmem_install();
    CHECK(jsonmem_held() == 0 && jsonmem_live() == 0);

    for (int i = 0; i < 1000; i++) {
        p[i] = jsonmem_alloc((size_t)i % 97 + 1);
        CHECK(p[i] && ((uintptr_t)p[i] & 15) == 0);
        memset(p[i], 0xab, (size_t)i % 97 + 1);
    }
    CHECK(jsonmem_live() == 1000 && jsonmem_held() == JSONMEM_CHUNK);
    CHECK((char *)p[1] - (char *)p[0] == 16); /* bumped, not malloc'd */

    /* a chunk too small for a request: a bigger one, twice the size or more */
    void *big = jsonmem_alloc(3u * JSONMEM_CHUNK);
    CHECK(big && jsonmem_held() == JSONMEM_CHUNK + 4u * JSONMEM_CHUNK);
    memset(big, 1, 3u * JSONMEM_CHUNK);

    /* a pointer the arena did not make goes to free() (ASan/valgrind would see a leak) */
    jsonmem_free(malloc(10));
    jsonmem_free(NULL);
    CHECK(jsonmem_live() == 1001);

    for (int i = 0; i < 1000; i++)
        jsonmem_free(p[i]);
    CHECK(jsonmem_live() == 1);
    jsonmem_free(big);
    /* nothing live: only the largest chunk is kept, and reused from its start */
    CHECK(jsonmem_live() == 0 && jsonmem_held() == 4u * JSONMEM_CHUNK);
    void *again = jsonmem_alloc(8);
    CHECK(again == big);
    jsonmem_free(again);

    /* cJSON through the hooks: parse, print, delete leaves nothing live */
    root = cJSON_Parse("{\"a\":[1,2,{\"b\":\"x\\u00e9\"}],\"c\":null}");
    CHECK(root && jsonmem_live() > 5);
    text = cJSON_PrintUnformatted(root);
    CHECK(text && strcmp(text, "{\"a\":[1,2,{\"b\":\"x\xc3\xa9\"}],\"c\":null}") == 0);
    cJSON_Delete(root);
    cJSON_free(text);
    CHECK(jsonmem_live() == 0);

    /* another thread has no arena */
    held = 12345;
    CHECK(pthread_create(&t, NULL, other_thread, &held) == 0 && pthread_join(t, NULL) == 0);
    CHECK(held == 0);
    return CHECK_DONE("test_jsonmem");
}
