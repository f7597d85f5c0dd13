/*
 * pipe-client.exe: console version of the named-pipe seed's MFC client
 * (shared/seeds/000_f84211b6d02f2fda.txt, CChildView::OnConnectNamedPipe,
 * OnWriteNamedPipe, OnReadNamedPipe). Same Win32 calls, arguments and bytes;
 * it connects, writes "NAMEDPIPE CLIENT\0" (strlen + 1), then reads the reply.
 *
 *   pipe-client.exe [NAME] [--read-first] [--timeout MS]
 *                   [--message TEXT | --hex HEX] [--buffer N]
 *
 *   NAME           pipe name (default \\.\pipe\mypipe, the seed's)
 *   --read-first   read, then write (pairs with pipe-server.exe --write-first)
 *   --timeout MS   WaitNamedPipe's time-out (default NMPWAIT_WAIT_FOREVER, the
 *                  seed's); on expiry: ERROR 121 (ERROR_SEM_TIMEOUT). Like the
 *                  seed, a pipe that does not exist at all fails at once with
 *                  ERROR 2: start the server first and wait for its READY line.
 *   --message TEXT write TEXT plus its NUL instead of "NAMEDPIPE CLIENT\0"
 *   --hex HEX      write exactly these bytes instead
 *   --buffer N     ReadFile size (default 100, the seed's)
 *
 * Output (see native.h): CONNECTED, WROTE ..., READ ..., DONE.
 */
#include "native.h"

#define USAGE "usage: pipe-client.exe [NAME] [--read-first] [--timeout MS] [--message TEXT | --hex HEX] [--buffer N]"

static HANDLE hNamedPipe;

int wmain(int argc, wchar_t **argv)
{
    LPCTSTR szNamedPipeName = TEXT("\\\\.\\pipe\\mypipe");
    static native_message message;
    DWORD timeout = NMPWAIT_WAIT_FOREVER, bufferSize = 100;
    BOOL readFirst = FALSE;
    int i;

    native_message_text(&message, "NAMEDPIPE CLIENT", USAGE);
    for (i = 1; i < argc; i++) {
        if (wcscmp(argv[i], L"--read-first") == 0) readFirst = TRUE;
        else if (wcscmp(argv[i], L"--timeout") == 0 && i + 1 < argc) timeout = native_dword(argv[++i], USAGE);
        else if (wcscmp(argv[i], L"--message") == 0 && i + 1 < argc) native_message_wtext(&message, argv[++i], USAGE);
        else if (wcscmp(argv[i], L"--hex") == 0 && i + 1 < argc) native_message_hex(&message, argv[++i], USAGE);
        else if (wcscmp(argv[i], L"--buffer") == 0 && i + 1 < argc) bufferSize = native_dword(argv[++i], USAGE);
        else if (argv[i][0] != L'-') szNamedPipeName = argv[i];
        else native_usage(USAGE);
    }
    if (bufferSize == 0 || bufferSize > NATIVE_MAX_MESSAGE) native_usage(USAGE);
    // 0 would mean NMPWAIT_USE_DEFAULT_WAIT (the server's default time-out).
    if (timeout == 0) timeout = 1;

    if (0 == WaitNamedPipe(szNamedPipeName, timeout))
        native_fail_last("WaitNamedPipe");
    hNamedPipe = CreateFile(szNamedPipeName, GENERIC_READ | GENERIC_WRITE,
        0, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (hNamedPipe == INVALID_HANDLE_VALUE)
        native_fail_last("CreateFile");
    native_line("CONNECTED");

    if (readFirst) {
        native_read(hNamedPipe, bufferSize);
        native_write(hNamedPipe, &message);
        // No FlushFileBuffers: data a client wrote stays readable by the server
        // after the client closes (the server, having read it, may already
        // have disconnected: a flush then fails with 233 under Wine).
    } else {
        native_write(hNamedPipe, &message);
        native_read(hNamedPipe, bufferSize);
    }
    CloseHandle(hNamedPipe);
    native_line("DONE");
    return 0;
}
