/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * A DPDK program that leaves the emulated ConnectX-3 open: run under
 * devtools/with-emu-cx3.sh by kface.py (case kface_exit_with_device_open).
 * It opens the device through rdma-core (ibv_open_device(): the kernel
 * face's device thread starts), arms a CQ on a completion channel (the
 * model's event thread starts), forks a child that exits at once (with no
 * device thread of its own: nothing to join), injects a catastrophic error through the
 * control socket, which the model will go on with (detected, unregistered,
 * re-created: each a log line of the model's, through rte_log), calls
 * rte_eal_cleanup(), waits a second and returns from main() with the
 * device still open. It prints whether the device thread ("mlx4r-cx3" in
 * /proc/self/task) and the event thread ("mlx4r-emu-ev") run after the
 * open and after rte_eal_cleanup(); the
 * case checks that nothing of the model is logged after it (the thread
 * stopped before the EAL closed its log stream, mlx4r_kface_dev.c
 * kf_dev_stop()) and that the program exits 0.
 *
 * Usage: mlx4r-kface-exit-open EAL-ARGS
 */

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include <rte_eal.h>
#include <rte_errno.h>

/* Whether a thread named @p name runs in this process. */
static const char *
thread_state(const char *name)
{
	char path[300], comm[32];
	struct dirent *de;
	bool found = false;
	DIR *d;
	FILE *f;

	d = opendir("/proc/self/task");
	if (d == NULL)
		return "unknown (no /proc/self/task)";
	while ((de = readdir(d)) != NULL && !found) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 de->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue; /* a thread that just ended */
		if (fgets(comm, sizeof(comm), f) != NULL) {
			comm[strcspn(comm, "\n")] = '\0';
			found = strcmp(comm, name) == 0;
		}
		fclose(f);
	}
	closedir(d);
	return found ? "running" : "gone";
}

/* One command on the emulated device's control socket; 0 when "ok". */
static int
ctl(const char *cmd)
{
	const char *dir = getenv("MLX4R_KFACE_DIR");
	struct timeval tv = { .tv_sec = 10 };
	struct sockaddr_un sa, me;
	char reply[200];
	ssize_t n;
	int fd;

	if (dir == NULL || strlen(dir) + sizeof("/ctl.sock") > sizeof(sa.sun_path)) {
		printf("[ctl %s: no MLX4R_KFACE_DIR (not under with-emu-cx3.sh?)]\n",
		       cmd);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ctl.sock", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* an autobound address, so that the answer can come back */
	memset(&me, 0, sizeof(me));
	me.sun_family = AF_UNIX;
	if (bind(fd, (struct sockaddr *)&me, sizeof(sa_family_t)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    sendto(fd, cmd, strlen(cmd), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		printf("[ctl %s: %s]\n", cmd, strerror(errno));
		close(fd);
		return -1;
	}
	n = recv(fd, reply, sizeof(reply) - 1, 0);
	close(fd);
	if (n < 0) {
		printf("[ctl %s: no answer: %s]\n", cmd, strerror(errno));
		return -1;
	}
	reply[n] = '\0';
	printf("[ctl %s: %s]\n", cmd, reply);
	return strcmp(reply, "ok") == 0 ? 0 : -1;
}

/*
 * A child forked with the device open exits (exit(): atexit handlers and
 * destructors): it has no device thread to stop (none to join), and leaves
 * the parent's control socket alone (the commands that follow use it;
 * the child's exit once unlinked it: "No such file or directory").
 */
static int
fork_and_exit(void)
{
	int status = 0, i;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		exit(0);
	/* a child stuck at its exit is killed after 10 s */
	for (i = 0; i < 1000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(10 * 1000);
	}
	if (i == 1000) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		printf("a child forked with the device open: stuck at exit\n");
		return -1;
	}
	printf("a child forked with the device open exited: %s %d\n",
	       WIFEXITED(status) ? "status" : "signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 0;
}

int
main(int argc, char **argv)
{
	struct ibv_comp_channel *ch;
	struct ibv_device **list;
	struct ibv_context *ctx;
	struct ibv_cq *cq;
	int n = 0, ret;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (rte_eal_init(argc, argv) < 0) {
		printf("rte_eal_init(): %s\n", rte_strerror(rte_errno));
		return 1;
	}
	list = ibv_get_device_list(&n);
	if (list == NULL || n < 1) {
		printf("no RDMA device\n");
		return 1;
	}
	ctx = ibv_open_device(list[0]);
	if (ctx == NULL) {
		printf("ibv_open_device(%s): %s\n",
		       ibv_get_device_name(list[0]), strerror(errno));
		return 1;
	}
	/*
	 * An armed CQ on a completion channel: the model's event thread
	 * ("mlx4r-emu-ev") runs while a channel exists.
	 */
	ch = ibv_create_comp_channel(ctx);
	cq = ch != NULL ? ibv_create_cq(ctx, 64, NULL, ch, 0) : NULL;
	if (cq == NULL || ibv_req_notify_cq(cq, 0) != 0) {
		printf("completion channel and CQ: %s\n", strerror(errno));
		return 1;
	}
	printf("opened %s; device thread: %s; event thread: %s\n",
	       ibv_get_device_name(list[0]), thread_state("mlx4r-cx3"),
	       thread_state("mlx4r-emu-ev"));
	if (fork_and_exit() != 0)
		return 1;
	/* an error the model goes on with for a while, and logs */
	if (ctl("reappear 300") != 0 || ctl("fatal 200") != 0)
		return 1;
	ret = rte_eal_cleanup();
	printf("rte_eal_cleanup() returned %d; device thread: %s; event thread: %s\n",
	       ret, thread_state("mlx4r-cx3"), thread_state("mlx4r-emu-ev"));
	/* a device thread still running would go on with the error now */
	usleep(1000 * 1000);
	printf("returning from main() with %s open\n",
	       ibv_get_device_name(list[0]));
	return 0;
}
