// A tiny HTTP server for the real test node (scripts/k8s/node.sh, test/realnode): answers every request with
// "echo <hostname> <method> <path>\n". Built with `gcc -static` into a scratch image; no registry needed.
// Usage: echo [PORT] (default 8080). Exits 0 on SIGTERM or SIGINT.
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080;
  struct sigaction sa = {0};
  sa.sa_handler = stop;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  char host[256] = "unknown";
  gethostname(host, sizeof host - 1);

  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(s, 64) < 0) {
    perror("echo: listen");
    return 1;
  }
  fprintf(stderr, "echo: listening on :%d\n", port);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    char req[2048] = {0}, method[16] = "?", path[1024] = "?", body[1400], resp[1600];
    ssize_t n = read(c, req, sizeof req - 1);
    if (n > 0) sscanf(req, "%15s %1023s", method, path);
    int blen = snprintf(body, sizeof body, "echo %s %s %s\n", host, method, path);
    int rlen = snprintf(resp, sizeof resp,
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
                        blen, body);
    if (write(c, resp, rlen) < 0) perror("echo: write");
    close(c);
  }
}
