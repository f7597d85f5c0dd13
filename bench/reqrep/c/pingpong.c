// pingpong: the floor of bench/reqrep. Request/response over a unix stream
// socket with the same u32 big-endian length-prefixed frames as the Node
// systems, no serialisation, no runtime.
//
//   pingpong server PATH
//     prints "ready", then serves one connection at a time, echoing every frame.
//   pingpong client PATH SIZE SERIAL PIPELINED WINDOW
//     one shot: prints {"serial":{...},"pipelined":{...}} like client.mjs.
//   pingpong client PATH
//     prints "ready" and obeys client.mjs's stdin commands
//     (serial SIZE COUNT WARMUP MAX_MS / pipelined SIZE COUNT WARMUP WINDOW MAX_MS / mem / quit).
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static void die(const char *what) {
  perror(what);
  exit(1);
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static uint32_t get_be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static int read_full(int fd, void *buf, size_t n) {
  for (size_t done = 0; done < n;) {
    ssize_t r = read(fd, (char *)buf + done, n - done);
    if (r == 0) return -1;
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += r;
  }
  return 0;
}

static int write_full(int fd, const void *buf, size_t n) {
  for (size_t done = 0; done < n;) {
    ssize_t w = write(fd, (const char *)buf + done, n - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += w;
  }
  return 0;
}

static struct sockaddr_un address_of(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    fprintf(stderr, "socket path too long: %s\n", path);
    exit(1);
  }
  strcpy(addr.sun_path, path);
  return addr;
}

// Reads whatever has arrived, echoes every whole frame in it with one write
// (as the Node servers cork theirs), keeps the partial tail for the next read.
static void serve_connection(int fd) {
  size_t cap = 1 << 20, have = 0;
  unsigned char *buf = malloc(cap);
  if (!buf) die("malloc");
  for (;;) {
    ssize_t r = read(fd, buf + have, cap - have);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    have += r;
    size_t off = 0;
    while (have - off >= 4) {
      size_t frame = 4 + (size_t)get_be32(buf + off);
      if (have - off < frame) {
        if (frame > cap) {
          cap = frame;
          if (!(buf = realloc(buf, cap))) die("realloc");
        }
        break;
      }
      off += frame;
    }
    if (off > 0) {
      if (write_full(fd, buf, off) < 0) break;
      memmove(buf, buf + off, have - off);
      have -= off;
    }
  }
  free(buf);
  close(fd);
}

static void run_server(const char *path) {
  struct sockaddr_un addr = address_of(path);
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  if (listener < 0) die("socket");
  unlink(path);
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  if (listen(listener, 16) < 0) die("listen");
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) continue;
      die("accept");
    }
    serve_connection(fd);
  }
}

static int conn = -1;
static unsigned char *frame;  // header + payload of SIZE bytes of 7, the request sent every time
static unsigned char *reply;
static size_t frame_size;

static void set_size(size_t size) {
  free(frame);
  free(reply);
  frame_size = 4 + size;
  frame = malloc(frame_size);
  reply = malloc(frame_size);
  if (!frame || !reply) die("malloc");
  put_be32(frame, (uint32_t)size);
  memset(frame + 4, 7, size);
}

static void call(void) {
  unsigned char header[4];
  if (write_full(conn, frame, frame_size) < 0) die("write");
  if (read_full(conn, header, 4) < 0) die("read");
  size_t length = get_be32(header);
  if (length != frame_size - 4) {
    fprintf(stderr, "sent %zu bytes, got back %zu\n", frame_size - 4, length);
    exit(1);
  }
  if (read_full(conn, reply, length) < 0) die("read");
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

// Same nearest-rank percentile as bench/lib/stats.mjs.
static double pct(const double *sorted, size_t n, double p) {
  size_t i = (size_t)(p / 100 * n);
  return sorted[i < n ? i : n - 1];
}

// Serial latency in µs; MAX_MS bounds the wall time, like client.mjs.
static void serial(size_t count, double max_ms, char *out, size_t out_size) {
  double *samples = malloc((count ? count : 1) * sizeof *samples);
  if (!samples) die("malloc");
  double deadline = now_us() + max_ms * 1e3, sum = 0;
  size_t n = 0;
  for (; n < count && now_us() < deadline; n++) {
    double t0 = now_us();
    call();
    samples[n] = now_us() - t0;
    sum += samples[n];
  }
  qsort(samples, n, sizeof *samples, compare);
  if (out)
    snprintf(out, out_size, "{\"count\":%zu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"perSecond\":%.1f}", n, n ? pct(samples, n, 50) : 0,
             n ? pct(samples, n, 90) : 0, n ? pct(samples, n, 99) : 0, n ? 1e6 / (sum / n) : 0);
  free(samples);
}

// Up to WINDOW requests in flight: sends while the window has room, reads
// replies as they come, both non-blocking so neither side can stall the other.
static void pipelined(size_t count, size_t window, double max_ms, char *out, size_t out_size) {
  size_t cap = 4 << 20, have = 0, sent = 0, received = 0, partial = 0;
  unsigned char *in = malloc(cap);
  if (!in) die("malloc");
  double t0 = now_us(), deadline = t0 + max_ms * 1e3;
  size_t limit = count;
  while (received < limit) {
    // Out of time: issue nothing new, but finish a frame half sent.
    if (limit == count && now_us() >= deadline) limit = sent + (partial > 0);
    int progress = 0;
    while (sent < limit && sent - received < window) {
      ssize_t w = send(conn, frame + partial, frame_size - partial, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        die("send");
      }
      progress = 1;
      partial += w;
      if (partial == frame_size) {
        partial = 0;
        sent++;
      }
    }
    ssize_t r = recv(conn, in + have, cap - have, MSG_DONTWAIT);
    if (r == 0) {
      fprintf(stderr, "server closed the connection\n");
      exit(1);
    }
    if (r < 0 && errno != EAGAIN && errno != EINTR) die("recv");
    if (r > 0) {
      progress = 1;
      have += r;
      size_t off = 0;
      while (have - off >= 4 && have - off >= 4 + (size_t)get_be32(in + off)) {
        off += 4 + get_be32(in + off);
        received++;
      }
      memmove(in, in + off, have - off);
      have -= off;
    }
    if (!progress) {
      struct pollfd p = {.fd = conn, .events = POLLIN | (sent < limit && sent - received < window ? POLLOUT : 0)};
      poll(&p, 1, -1);
    }
  }
  double seconds = (now_us() - t0) / 1e6;
  if (out) snprintf(out, out_size, "{\"count\":%zu,\"window\":%zu,\"messagesPerSecond\":%.1f}", received, window, received / seconds);
  free(in);
}

static long rss_bytes(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  return kb < 0 ? -1 : kb * 1024;
}

static int run_client(int argc, char **argv) {
  struct sockaddr_un addr = address_of(argv[2]);
  conn = socket(AF_UNIX, SOCK_STREAM, 0);
  if (conn < 0) die("socket");
  if (connect(conn, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
  char serial_out[256], pipelined_out[256];
  if (argc >= 7) {
    size_t size = strtoul(argv[3], NULL, 10), serial_count = strtoul(argv[4], NULL, 10);
    size_t pipelined_count = strtoul(argv[5], NULL, 10), window = strtoul(argv[6], NULL, 10);
    set_size(size);
    serial(serial_count < 2000 ? serial_count : 2000, 1e12, NULL, 0);  // warm-up
    serial(serial_count, 1e12, serial_out, sizeof serial_out);
    pipelined(pipelined_count < 10000 ? pipelined_count : 10000, window, 1e12, NULL, 0);  // warm-up
    pipelined(pipelined_count, window, 1e12, pipelined_out, sizeof pipelined_out);
    printf("{\"serial\":%s,\"pipelined\":%s}\n", serial_out, pipelined_out);
    return 0;
  }
  printf("ready\n");
  fflush(stdout);
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    size_t size, count, warmup, window;
    double max_ms;
    if (sscanf(line, "serial %zu %zu %zu %lf", &size, &count, &warmup, &max_ms) == 4) {
      set_size(size);
      call();
      serial(warmup, max_ms / 4, NULL, 0);
      serial(count, max_ms, serial_out, sizeof serial_out);
      printf("%s\n", serial_out);
    } else if (sscanf(line, "pipelined %zu %zu %zu %zu %lf", &size, &count, &warmup, &window, &max_ms) == 5) {
      set_size(size);
      call();
      pipelined(warmup, window, max_ms / 4, NULL, 0);
      pipelined(count, window, max_ms, pipelined_out, sizeof pipelined_out);
      printf("%s\n", pipelined_out);
    } else if (strncmp(line, "mem", 3) == 0) {
      printf("{\"rssBytes\":%ld,\"heapUsedBytes\":null}\n", rss_bytes());
    } else if (strncmp(line, "quit", 4) == 0) {
      break;
    }
    fflush(stdout);
  }
  close(conn);
  return 0;
}

int main(int argc, char **argv) {
#ifdef __linux__
  // Go when the bench that started us goes, even if it could not stop us.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
  signal(SIGPIPE, SIG_IGN);
  if (argc >= 3 && strcmp(argv[1], "server") == 0) run_server(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "client") == 0) return run_client(argc, argv);
  fprintf(stderr, "usage: %s server PATH | client PATH [SIZE SERIAL PIPELINED WINDOW]\n", argv[0]);
  return 2;
}
