/*
 * Shared helpers for the console versions of the seeds' MFC programs
 * (pipe-server.c, pipe-client.c, mailslot-server.c, mailslot-client.c).
 *
 * Output protocol, one line per event on stdout, flushed after each line:
 *   READY <name>               the server object exists (servers only)
 *   CONNECTED                  the named pipe is connected
 *   READ <n> <hex> <text>      n bytes read; hex of every byte (lowercase,
 *                              "-" when n is 0); text = bytes before the first
 *                              NUL, any byte outside 0x20..0x7e shown as '.'
 *   WROTE <n>                  WriteFile wrote n bytes
 *   DONE                       success; exit code 0 follows
 *   ERROR <code> <what>        GetLastError() value and the call that failed;
 *                              the exit code is that value (1 if it was 0)
 * Usage errors print "ERROR 87 usage: ..." and exit 87 (ERROR_INVALID_PARAMETER).
 *
 * Built as a Unicode program (-municode, UNICODE/_UNICODE), like an MFC
 * project by default: TEXT("...") is a wide string and CreateNamedPipe,
 * CreateFile, ... are the W functions, as in the seeds. Message bytes are
 * char, as in the seeds.
 */
#ifndef PIPEBUS_NATIVE_H
#define PIPEBUS_NATIVE_H

#ifndef UNICODE
#define UNICODE
#endif
#ifndef _UNICODE
#define _UNICODE
#endif
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* Largest message any of the programs reads or writes (a mailslot message is
 * at most 424 bytes on a network; locally up to 64 KiB). */
#define NATIVE_MAX_MESSAGE 65536

/* Helpers each program uses only some of. */
#define NATIVE_FN __attribute__((unused))

static void native_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static NATIVE_FN void native_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

/* A wide string as UTF-8, in a static buffer (names and messages only). */
static NATIVE_FN const char *native_utf8(const wchar_t *w)
{
    static char buf[4096];
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, (int)sizeof buf, NULL, NULL);
    if (n <= 0) buf[0] = '\0';
    return buf;
}

/* Print "ERROR <code> <what>" and exit with the code (1 if it is 0). */
static void native_fail(DWORD code, const char *what) __attribute__((noreturn));
static NATIVE_FN void native_fail(DWORD code, const char *what)
{
    native_line("ERROR %lu %s", (unsigned long)code, what);
    exit(code ? (int)code : 1);
}

/* native_fail with GetLastError(). */
static void native_fail_last(const char *what) __attribute__((noreturn));
static NATIVE_FN void native_fail_last(const char *what)
{
    native_fail(GetLastError(), what);
}

static void native_usage(const char *usage) __attribute__((noreturn));
static NATIVE_FN void native_usage(const char *usage)
{
    native_fail(ERROR_INVALID_PARAMETER, usage);
}

static NATIVE_FN void native_print_read(const char *buf, DWORD n)
{
    /* "READ " + number + hex (2 per byte) + text (1 per byte) + spaces. */
    static char line[32 + 3 * NATIVE_MAX_MESSAGE];
    static const char digits[] = "0123456789abcdef";
    char *p = line;
    DWORD i;
    p += sprintf(p, "READ %lu ", (unsigned long)n);
    if (n == 0) *p++ = '-';
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        *p++ = digits[c >> 4];
        *p++ = digits[c & 15];
    }
    *p++ = ' ';
    for (i = 0; i < n && buf[i] != '\0'; i++) {
        unsigned char c = (unsigned char)buf[i];
        *p++ = (c >= 0x20 && c <= 0x7e) ? (char)c : '.';
    }
    *p = '\0';
    native_line("%s", line);
}

/* A non-negative decimal DWORD, or exit with a usage error. */
static NATIVE_FN DWORD native_dword(const wchar_t *s, const char *usage)
{
    wchar_t *end = NULL;
    unsigned long v;
    if (s == NULL || *s == L'\0' || *s == L'-') native_usage(usage);
    v = wcstoul(s, &end, 10);
    if (end == NULL || *end != L'\0') native_usage(usage);
    return (DWORD)v;
}

/*
 * The bytes a client or server writes: the seed's text with its trailing NUL
 * (strlen + 1), "--message TEXT" (UTF-8, plus NUL, like the seed), or
 * "--hex HEX" (exactly those bytes).
 */
typedef struct {
    char data[NATIVE_MAX_MESSAGE];
    DWORD length;
} native_message;

static NATIVE_FN void native_message_text(native_message *m, const char *text, const char *usage)
{
    size_t n = strlen(text);
    if (n + 1 > sizeof m->data) native_usage(usage);
    memcpy(m->data, text, n + 1);
    m->length = (DWORD)(n + 1);
}

static NATIVE_FN void native_message_wtext(native_message *m, const wchar_t *text, const char *usage)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, text, -1, m->data, (int)sizeof m->data, NULL, NULL);
    if (n <= 0) native_usage(usage);
    m->length = (DWORD)n; /* includes the NUL */
}

static NATIVE_FN int native_hexval(wchar_t c)
{
    if (c >= L'0' && c <= L'9') return c - L'0';
    if (c >= L'a' && c <= L'f') return c - L'a' + 10;
    if (c >= L'A' && c <= L'F') return c - L'A' + 10;
    return -1;
}

static NATIVE_FN void native_message_hex(native_message *m, const wchar_t *hex, const char *usage)
{
    size_t len = wcslen(hex), i;
    if (len % 2 != 0 || len / 2 > sizeof m->data) native_usage(usage);
    for (i = 0; i < len; i += 2) {
        int hi = native_hexval(hex[i]), lo = native_hexval(hex[i + 1]);
        if (hi < 0 || lo < 0) native_usage(usage);
        m->data[i / 2] = (char)(hi * 16 + lo);
    }
    m->length = (DWORD)(len / 2);
}

/* The seeds' ReadFile and WriteFile calls (NULL overlapped, as in the MFC
 * samples), shared by the four programs: read up to `size` bytes and print
 * READ, or write one message and print WROTE; any failure exits. */
static NATIVE_FN void native_read(HANDLE h, DWORD size)
{
    static char szBuf[NATIVE_MAX_MESSAGE];
    DWORD dwRead = 0;
    memset(szBuf, 0, size);
    if (!ReadFile(h, szBuf, size, &dwRead, NULL))
        native_fail_last("ReadFile");
    native_print_read(szBuf, dwRead);
}

static NATIVE_FN void native_write(HANDLE h, const native_message *m)
{
    DWORD dwWrite = 0;
    if (!WriteFile(h, m->data, m->length, &dwWrite, NULL))
        native_fail_last("WriteFile");
    native_line("WROTE %lu", (unsigned long)dwWrite);
}

#endif /* PIPEBUS_NATIVE_H */
