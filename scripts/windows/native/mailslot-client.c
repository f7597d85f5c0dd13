/*
 * mailslot-client.exe: console version of the mailslot seed's MFC client
 * (shared/seeds/003_936aa6ff2f92dc06.txt, CChildView::OnSend). Same Win32
 * calls, arguments and bytes: CreateFile(name, FILE_GENERIC_WRITE,
 * FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL), then
 * WriteFile "Bingo is handsome" with its NUL (strlen + 1 = 18 bytes).
 *
 *   mailslot-client.exe [NAME] [--count N] [--message TEXT | --hex HEX]
 *
 *   NAME           mailslot name (default \\.\mailslot\Mymailslot, the seed's)
 *   --count N      write the message N times (default 1, the seed's)
 *   --message TEXT write TEXT plus its NUL instead of "Bingo is handsome\0"
 *   --hex HEX      write exactly these bytes instead (one message)
 *
 * Output (see native.h): WROTE <n> per message, DONE.
 * The seed's access mask is FILE_GENERIC_WRITE (GENERIC_WRITE maps to it for
 * files and mailslots, so both open the slot the same way).
 */
#include "native.h"

#define USAGE "usage: mailslot-client.exe [NAME] [--count N] [--message TEXT | --hex HEX]"

int wmain(int argc, wchar_t **argv)
{
    LPCTSTR szSlotName = TEXT("\\\\.\\mailslot\\Mymailslot");
    static native_message message;
    DWORD count = 1, n;
    int i;

    native_message_text(&message, "Bingo is handsome", USAGE);
    for (i = 1; i < argc; i++) {
        if (wcscmp(argv[i], L"--count") == 0 && i + 1 < argc) count = native_dword(argv[++i], USAGE);
        else if (wcscmp(argv[i], L"--message") == 0 && i + 1 < argc) native_message_wtext(&message, argv[++i], USAGE);
        else if (wcscmp(argv[i], L"--hex") == 0 && i + 1 < argc) native_message_hex(&message, argv[++i], USAGE);
        else if (argv[i][0] != L'-') szSlotName = argv[i];
        else native_usage(USAGE);
    }

    // open the mailslot as a file (the seed's call)
    HANDLE hMailSlot = CreateFile(szSlotName, FILE_GENERIC_WRITE,
        FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (hMailSlot == INVALID_HANDLE_VALUE)
        native_fail_last("CreateFile");
    for (n = 0; n < count; n++) {
        native_write(hMailSlot, &message);
    }
    CloseHandle(hMailSlot);
    native_line("DONE");
    return 0;
}
