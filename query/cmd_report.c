/* stub */
#include "cmd.h"

#include "banned.h"

int cmd_report(struct cmd_ctx *c, int argc, char **argv, struct err *e)
{
    (void)c, (void)argc, (void)argv;
    return err_set(e, ERR_USAGE, "report: not yet");
}
