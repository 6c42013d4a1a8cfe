/* cmd_info.c - placeholder replaced by the info subcommand. */
#include "cli.h"
int cmd_info(int argc, char **argv)
{
    (void)argc; (void)argv;
    return cli_fail("info: not built yet");
}
