/*
 * pipe-server.exe: console version of the named-pipe seed's MFC server
 * (shared/seeds/000_f84211b6d02f2fda.txt, CChildView::OnCreateNamedPipe,
 * OnSreadNamedPipe, OnSwriteNamedpipe). Same Win32 calls, arguments and bytes;
 * the seed's three buttons run in order: create + wait, read, write.
 *
 *   pipe-server.exe [NAME] [--write-first] [--timeout MS]
 *                   [--message TEXT | --hex HEX] [--buffer N]
 *
 *   NAME           pipe name (default \\.\pipe\mypipe, the seed's)
 *   --write-first  write, then read (for a client that reads before it writes)
 *   --timeout MS   bound the wait for a client (default: INFINITE, the seed's);
 *                  on expiry: ERROR 258 (WAIT_TIMEOUT)
 *   --message TEXT write TEXT plus its NUL instead of "OnNamedPipe Server\0"
 *   --hex HEX      write exactly these bytes instead
 *   --buffer N     ReadFile size (default 100, the seed's)
 *
 * Output (see native.h): READY <name> once a client may connect (after the
 * overlapped ConnectNamedPipe was issued), CONNECTED, READ ..., WROTE ..., DONE.
 *
 * Differences from the seed, all outside the byte exchange:
 *  - ERROR_PIPE_CONNECTED (535) from ConnectNamedPipe counts as connected (a
 *    client that opened the pipe between CreateNamedPipe and ConnectNamedPipe);
 *    the seed would report a failure. READY is printed after ConnectNamedPipe,
 *    so a test that waits for it cannot cause that race anyway.
 *  - At the end, FlushFileBuffers (waits until the client has read what we
 *    wrote; skipped with --write-first, whose last step is a read),
 *    DisconnectNamedPipe and CloseHandle, as Microsoft's samples do: the MFC
 *    window kept the handle open; a console program exits. A client still
 *    reading then fails with ERROR_PIPE_NOT_CONNECTED (233) rather than seeing
 *    end of file (109): Windows Node reports that as "read EPIPE".
 *  - ReadFile/WriteFile pass a NULL OVERLAPPED on this overlapped handle, as
 *    the seed does. Windows' and Wine's kernel32 then wait on the file handle
 *    when the I/O is pending, so this works (verified under Wine 8).
 */
#include "native.h"

#define USAGE "usage: pipe-server.exe [NAME] [--write-first] [--timeout MS] [--message TEXT | --hex HEX] [--buffer N]"

static HANDLE hNamedPipe;

int wmain(int argc, wchar_t **argv)
{
    LPCTSTR szPipeName = TEXT("\\\\.\\pipe\\mypipe");
    static native_message reply;
    DWORD timeout = INFINITE, bufferSize = 100;
    BOOL writeFirst = FALSE;
    int i;

    native_message_text(&reply, "OnNamedPipe Server", USAGE);
    for (i = 1; i < argc; i++) {
        if (wcscmp(argv[i], L"--write-first") == 0) writeFirst = TRUE;
        else if (wcscmp(argv[i], L"--timeout") == 0 && i + 1 < argc) timeout = native_dword(argv[++i], USAGE);
        else if (wcscmp(argv[i], L"--message") == 0 && i + 1 < argc) native_message_wtext(&reply, argv[++i], USAGE);
        else if (wcscmp(argv[i], L"--hex") == 0 && i + 1 < argc) native_message_hex(&reply, argv[++i], USAGE);
        else if (wcscmp(argv[i], L"--buffer") == 0 && i + 1 < argc) bufferSize = native_dword(argv[++i], USAGE);
        else if (argv[i][0] != L'-') szPipeName = argv[i];
        else native_usage(USAGE);
    }
    if (bufferSize == 0 || bufferSize > NATIVE_MAX_MESSAGE) native_usage(USAGE);

    // 1 create a named pipe (the seed's call)
    hNamedPipe = CreateNamedPipe(szPipeName, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
        PIPE_TYPE_BYTE, 1, 1024, 1024, 0, NULL);
    if (hNamedPipe == INVALID_HANDLE_VALUE)
        native_fail_last("CreateNamedPipe");

    // 2 wait for the client: overlapped ConnectNamedPipe + event, as the seed
    HANDLE hEvent = CreateEvent(NULL, TRUE, FALSE, NULL);
    if (NULL == hEvent)
        native_fail_last("CreateEvent");
    OVERLAPPED ovlap;
    ZeroMemory(&ovlap, sizeof(OVERLAPPED));
    ovlap.hEvent = hEvent;
    BOOL alreadyConnected = FALSE;
    if (!ConnectNamedPipe(hNamedPipe, &ovlap)) {
        DWORD err = GetLastError();
        if (err == ERROR_PIPE_CONNECTED) alreadyConnected = TRUE;
        else if (err != ERROR_IO_PENDING) native_fail(err, "ConnectNamedPipe");
    }
    native_line("READY %s", native_utf8(szPipeName));
    if (!alreadyConnected) {
        DWORD w = WaitForSingleObject(hEvent, timeout);
        if (w == WAIT_FAILED) native_fail_last("WaitForSingleObject");
        if (w == WAIT_TIMEOUT) {
            CancelIo(hNamedPipe);
            native_fail(WAIT_TIMEOUT, "WaitForSingleObject: no client connected in time");
        }
    }
    CloseHandle(hEvent);
    native_line("CONNECTED");

    if (writeFirst) {
        native_write(hNamedPipe, &reply);
        native_read(hNamedPipe, bufferSize);
    } else {
        native_read(hNamedPipe, bufferSize);
        native_write(hNamedPipe, &reply);
        // Our reply must reach the client before DisconnectNamedPipe discards
        // unread data. A client that already read it and closed makes the
        // flush fail with ERROR_BROKEN_PIPE (109) or ERROR_PIPE_NOT_CONNECTED
        // (233): nothing is left to lose then, so that is not an error.
        if (!FlushFileBuffers(hNamedPipe)) {
            DWORD err = GetLastError();
            if (err != ERROR_BROKEN_PIPE && err != ERROR_PIPE_NOT_CONNECTED && err != ERROR_NO_DATA)
                native_fail(err, "FlushFileBuffers");
        }
    }
    DisconnectNamedPipe(hNamedPipe);
    CloseHandle(hNamedPipe);
    native_line("DONE");
    return 0;
}
