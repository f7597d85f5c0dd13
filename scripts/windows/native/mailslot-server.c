/*
 * mailslot-server.exe: console version of the mailslot seed's MFC server
 * (shared/seeds/003_936aa6ff2f92dc06.txt, CChildView::OnSlot). Same Win32
 * calls, arguments and bytes: CreateMailslot(name, 0, MAILSLOT_WAIT_FOREVER,
 * NULL), then ReadFile into a 100-byte buffer, once per message.
 *
 *   mailslot-server.exe [NAME] [--count N] [--timeout MS] [--buffer N]
 *
 *   NAME          mailslot name (default \\.\mailslot\Mymailslot, the seed's)
 *   --count N     read N messages, then exit (default 1, the seed's)
 *   --timeout MS  read time-out, set with SetMailslotInfo after the seed's
 *                 CreateMailslot call (default: none, MAILSLOT_WAIT_FOREVER);
 *                 on expiry ReadFile fails: ERROR 121 (ERROR_SEM_TIMEOUT)
 *   --buffer N    ReadFile size (default 100, the seed's; a longer message
 *                 fails with ERROR 122, ERROR_INSUFFICIENT_BUFFER)
 *
 * Output (see native.h): READY <name>, then READ ... per message, DONE.
 */
#include "native.h"

#define USAGE "usage: mailslot-server.exe [NAME] [--count N] [--timeout MS] [--buffer N]"

int wmain(int argc, wchar_t **argv)
{
    LPCTSTR szSlotName = TEXT("\\\\.\\mailslot\\Mymailslot");
    DWORD count = 1, timeout = MAILSLOT_WAIT_FOREVER, bufferSize = 100, n;
    BOOL haveTimeout = FALSE;
    int i;

    for (i = 1; i < argc; i++) {
        if (wcscmp(argv[i], L"--count") == 0 && i + 1 < argc) count = native_dword(argv[++i], USAGE);
        else if (wcscmp(argv[i], L"--timeout") == 0 && i + 1 < argc) {
            timeout = native_dword(argv[++i], USAGE);
            haveTimeout = TRUE;
        }
        else if (wcscmp(argv[i], L"--buffer") == 0 && i + 1 < argc) bufferSize = native_dword(argv[++i], USAGE);
        else if (argv[i][0] != L'-') szSlotName = argv[i];
        else native_usage(USAGE);
    }
    if (bufferSize == 0 || bufferSize > NATIVE_MAX_MESSAGE) native_usage(USAGE);

    // 1 create a mailslot (the seed's call)
    HANDLE hSlot = CreateMailslot(szSlotName,
        0, // no maximum message size
        MAILSLOT_WAIT_FOREVER, // no time-out for operations
        NULL); // default security
    if (hSlot == INVALID_HANDLE_VALUE)
        native_fail_last("CreateMailslot");
    if (haveTimeout && !SetMailslotInfo(hSlot, timeout))
        native_fail_last("SetMailslotInfo");
    native_line("READY %s", native_utf8(szSlotName));

    // 2 read: blocks until a message is in the slot (or the time-out)
    for (n = 0; n < count; n++) {
        native_read(hSlot, bufferSize);
    }
    CloseHandle(hSlot);
    native_line("DONE");
    return 0;
}
