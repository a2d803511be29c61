/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Where a queue is proven quiescent: the bar, the process-wide fence
 * (membarrier), the wait for bursts in flight, and the unbar. The burst's
 * side of the handshake is MLX4R_BURST_ENTER / MLX4R_BURST_LEAVE in
 * mlx4r_rxtx.c; the callers are the reset machine (mlx4r_reset.c) and the
 * stop and close of a port (the gated ops), all with the control lock.
 *
 * The handshake, per queue (struct mlx4r_rxq/txq: in_burst has one
 * writer, the polling lcore; barred is written by the control thread with
 * the control lock, and by the polling lcore, inside a burst, when it
 * finds its queue in error (it stores 1, see "A queue in error" below);
 * both are accessed with __atomic builtins only):
 *
 *   lcore, MLX4R_BURST_ENTER/LEAVE        control thread
 *   (mlx4r_rxtx.c)                        (this file)
 *   W1 store in_burst = 1   relaxed       W2 store barred = 1   relaxed
 *      signal fence (compiler only)          membarrier()      [full]
 *   R2 load barred          acquire       R1 load in_burst     acquire
 *      ... the queue ...                     ... free rings, objects
 *   W3 store in_burst = 0   release
 *
 * mlx4r_port_bar() is W2, mlx4r_process_fence() the membarrier,
 * mlx4r_port_drain_wait() R1. membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
 * returns only after every thread of the process that is running has
 * executed a full memory barrier (an IPI); a thread that is not running
 * passes one at its next context switch. Take one lcore and call P the
 * point of its instruction stream where that barrier ran. The compiler
 * emits W1 before R2 (the signal fence, which costs no instruction), and
 * the barrier at P orders whatever precedes P before whatever follows it,
 * including the store buffer that would let R2 pass W1 (x86-TSO's only
 * reordering). So either W1 precedes P -- then W1 is visible to R1, which
 * follows the membarrier, and the control thread waits -- or R2 follows P
 * -- then R2 reads barred = 1 (W2 precedes the membarrier) and the burst
 * refuses without touching the queue. When R1 reads 0 it reads W3 or
 * later: the release/acquire pair makes every access of that burst happen
 * before what the control thread does next, and no later burst can pass
 * the bar, so the rings, mbufs and device objects may be freed. This is
 * the Dekker pattern with one of its two fences moved out of the fast path
 * into the kernel, the idea of asymmetric fences (Linux membarrier,
 * FlushProcessWriteBuffers on Windows); the C11 memory model has no name
 * for membarrier, which is why the argument is made at the level of the
 * barrier it runs on each CPU.
 *
 * Unbarring is the mirror image (mlx4r_port_unbar()): the control thread
 * writes every field of the rebuilt queue, calls membarrier(), then
 * stores barred = 0 (relaxed). A burst whose acquire load R2 reads 0 ran
 * R2 after P (the store of 0 follows the membarrier), and the acquire
 * keeps every later load of the queue after R2, hence after P, where the
 * new fields are visible. Without the acquire the compiler could hoist a
 * queue load above R2, to before P: that is why it is there, at the cost
 * of nothing on x86 (a plain load) and an ldar on ARMv8.
 *
 * What the proof needs of the queue structure: that an lcore which
 * loaded a queue pointer before the bar still finds a queue there when it
 * runs W1 and R2, however late. Queue structures are therefore
 * type-stable for the life of the device (mlx4r_rxq.c, mlx4r_txq.c).
 *
 * Lcores of secondary processes (mlx4r_mp.c: a secondary forwards on the
 * verbs backend). The queue structures, hence in_burst and barred, are in
 * DPDK's shared memory; only the barrier must reach the other process's
 * threads: the secondary registers with membarrier(REGISTER_GLOBAL_
 * EXPEDITED) before its first burst, and once one did, the fence adds
 * membarrier(GLOBAL_EXPEDITED), the same IPI'd full barrier on every
 * running thread of every registered process (Linux
 * kernel/sched/membarrier.c). The argument above is then word for word
 * the same for a secondary's lcore; its acknowledgement is its in_burst
 * store W3, which R1 reads in shared memory.
 *
 * A secondary that dies inside a burst (SIGKILL, a crash) never stores
 * W3: its marker stays set for good, and every wait for it -- the stop
 * and close of the port, which have no deadline, a reset's drain -- would
 * wait for an lcore that no longer exists (the primary could neither stop
 * nor close the port, nor exit). So W1 stores the process's tag
 * (mlx4r_burst_tag): MLX4R_TAG_PRIMARY in the primary, and in a
 * forwarding secondary the tag the primary gave it with its command file
 * (mlx4r_mp.c), for which the primary holds a pidfd of that process
 * (mlx4r_quiesce_tag_secondary()). R1 reading a secondary's tag asks the
 * pidfd: readable means the whole thread group has exited (Linux
 * kernel/pid.c pidfd_poll(), "thread_group_exited"), and a process has
 * left its address space before (kernel/exit.c do_exit(): exit_mm()
 * before exit_notify()), so none of its threads can touch a queue again,
 * and each of its stores was made before the poll() that saw it exit
 * (the kernel's locks between exit_notify() and pidfd_poll()). The
 * marker is then stale: R1 clears it with a compare-and-swap from that
 * tag to 0 (control path only; it fails, and the marker counts, if a
 * live lcore of another process stored its own tag meanwhile) and goes
 * on as for a marker read 0. Tags are never given twice, so the swap
 * cannot clear a live lcore's marker of the same value. A marker of the
 * primary's tag, or of MLX4R_TAG_UNTRACKED (a secondary the primary
 * could not name: no pidfd_open(), Linux < 5.3, or another PID
 * namespace, or tags used up), is waited for as before: a slow lcore
 * cannot be told from a dead one there.
 *
 * A queue in error. A burst that finds an error CQE stores barred = 1 on
 * its own queue (mlx4r_rxtx.c mlx4r_queue_fault()), between its W1 and W3,
 * so that later bursts refuse it until the control thread repaired it
 * (mlx4r_repair.c), per queue: mlx4r_queue_quiesce() is W2 + membarrier +
 * R1 on that queue alone, mlx4r_queue_unbar() the unbar. The lcore's
 * store only ever writes 1, and it happens before its W3; the control
 * thread stores 0 (unbar) only after an R1 that read that W3 or a later
 * one, on a barred queue that no burst can enter: so the lcore's store is
 * ordered before the control thread's, and the last word is the control
 * thread's. Barred flags with two writers never lose an unbar.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_pause.h>

#include <ethdev_driver.h>

#include "mlx4r.h"
#include "mlx4r_quiesce.h"

/*
 * The process-wide barrier.
 */

/* 1: membarrier registered; -1: unavailable (fallback, see below). */
static int mlx4r_membarrier_ok;
static pthread_once_t mlx4r_membarrier_once = PTHREAD_ONCE_INIT;

static void
mlx4r_membarrier_register(void)
{
	long q = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	if (q >= 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	    syscall(__NR_membarrier,
		    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0) {
		mlx4r_membarrier_ok = 1;
		return;
	}
	mlx4r_membarrier_ok = -1;
	RST_LOG(WARNING, "membarrier(PRIVATE_EXPEDITED) unavailable: quiescence is proven by a %u ms grace period only",
		10);
}

/*
 * Make every store of the caller visible to, and ordered before the later
 * loads of, every other thread of the process (see the file comment).
 * Without membarrier (kernel < 4.14, seccomp), there is no proof: a 10 ms
 * grace period stands in, documented as the weaker guarantee.
 */
/*
 * A secondary process polls queues of this one's (mlx4r_mp.c): set once
 * the primary answered one's CMD_FD (with the command file, or "between
 * two contexts" during a reset), never cleared (a secondary's exit is
 * not told). Seq_cst, with the fence's own full barrier before
 * its load below: a fence that reads false ran its W2 (the bar) before
 * the store here, which precedes the answer the secondary waits for
 * before its first burst, whose R2 then reads the bar.
 */
static bool mlx4r_fence_secondaries;

bool
mlx4r_quiesce_global(bool set)
{
	if (set)
		__atomic_store_n(&mlx4r_fence_secondaries, true,
				 __ATOMIC_SEQ_CST);
	return __atomic_load_n(&mlx4r_fence_secondaries, __ATOMIC_SEQ_CST);
}

/*
 * Secondary, before its first burst: the primary's fence is
 * membarrier(GLOBAL_EXPEDITED), which reaches the threads of processes
 * registered for it (Linux kernel/sched/membarrier.c). @return 0 or
 * -ENOTSUP (kernel < 4.16, seccomp): then this process does not forward.
 */
int
mlx4r_quiesce_register_secondary(void)
{
	static int ok; /* 1 registered, -1 refused; probes are serial */
	long q;

	if (ok == 0) {
		q = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
		ok = q >= 0 && (q & MEMBARRIER_CMD_GLOBAL_EXPEDITED) &&
		     syscall(__NR_membarrier,
			     MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0)
		     == 0 ? 1 : -1;
		if (ok < 0)
			DRV_LOG(WARNING, "membarrier(GLOBAL_EXPEDITED) unavailable: this secondary process does not forward (its bursts return 0, rte_errno ENOTSUP)");
	}
	return ok > 0 ? 0 : -ENOTSUP;
}

void
mlx4r_process_fence(void)
{
	if (mlx4r_membarrier_ok > 0 &&
	    syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0)
	    == 0) {
		/*
		 * The threads of the secondaries that forward: the same
		 * barrier on each of them (registered before their first
		 * burst, mlx4r_quiesce_register_secondary()).
		 */
		if (!mlx4r_quiesce_global(false) ||
		    syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED,
			    0, 0) == 0)
			return;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	rte_delay_us_sleep(10000);
}

/* Register with membarrier, once per process (first probe). */
void
mlx4r_quiesce_init(void)
{
	pthread_once(&mlx4r_membarrier_once, mlx4r_membarrier_register);
}

/*
 * Tags of the processes whose lcores poll the queues (file comment).
 */

uint8_t mlx4r_burst_tag = MLX4R_TAG_PRIMARY;

/* Primary: the secondaries given a tag, by tag; mlx4r_tags_lock. */
static struct {
	pid_t pid;              /**< in the primary's PID namespace */
	uint64_t start;         /**< its start time (/proc/<pid>/stat) */
	int pidfd;              /**< -1 once it was seen exited (closed) */
} mlx4r_tags[MLX4R_TAG_UNTRACKED]; /* [2, mlx4r_tags_next) given */
static uint8_t mlx4r_tags_next = MLX4R_TAG_FIRST_SECONDARY;
static pthread_mutex_t mlx4r_tags_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Has the process of tag @p t exited, every thread of it? Its pidfd is
 * closed when it has. mlx4r_tags_lock held.
 */
static bool
mlx4r_tag_exited(unsigned int t)
{
	struct pollfd pfd = { .fd = mlx4r_tags[t].pidfd, .events = POLLIN };

	if (pfd.fd < 0)
		return true;
	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN))
		return false;
	close(pfd.fd);
	mlx4r_tags[t].pidfd = -1;
	return true;
}

uint64_t
mlx4r_proc_start_time(pid_t pid)
{
	unsigned long long start = 0;
	char path[64], buf[1024], *p;
	unsigned int i;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* field 22, starttime; fields 3.. follow the ")" of the comm */
	p = strrchr(buf, ')');
	for (i = 2; p != NULL && i < 22; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	return start;
}

uint64_t
mlx4r_pidns_id(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

uint8_t
mlx4r_quiesce_tag_secondary(pid_t pid, uint64_t start, uint64_t pidns)
{
	const char *why = NULL;
	uint8_t tag = MLX4R_TAG_UNTRACKED;
	unsigned int i;
	int fd;

	/* a pid of another namespace names another process here */
	if (pid <= 0 || start == 0 || pidns == 0 ||
	    pidns != mlx4r_pidns_id()) {
		why = "not named in this PID namespace";
		goto log;
	}
	pthread_mutex_lock(&mlx4r_tags_lock);
	/* the same process again (another port): its tag */
	for (i = MLX4R_TAG_FIRST_SECONDARY; i < mlx4r_tags_next; i++) {
		if (mlx4r_tags[i].pid == pid &&
		    mlx4r_tags[i].start == start && !mlx4r_tag_exited(i)) {
			tag = (uint8_t)i;
			goto out;
		}
	}
	if (mlx4r_tags_next == MLX4R_TAG_UNTRACKED) {
		why = "tags used up"; /* never given twice */
		goto out;
	}
#ifdef __NR_pidfd_open
	fd = (int)syscall(__NR_pidfd_open, pid, 0);
#else
	fd = -1;
	errno = ENOSYS;
#endif
	if (fd < 0) {
		why = errno == ESRCH ? "it has exited" : "no pidfd_open()";
		goto out;
	}
	/*
	 * The pidfd names whatever process has the pid now: the one that
	 * asked only if it started when it says (a pid freed and taken
	 * again since would have another start time).
	 */
	if (mlx4r_proc_start_time(pid) != start) {
		close(fd);
		why = "its pid names another process";
		goto out;
	}
	tag = mlx4r_tags_next++;
	mlx4r_tags[tag].pid = pid;
	mlx4r_tags[tag].start = start;
	mlx4r_tags[tag].pidfd = fd;
out:
	pthread_mutex_unlock(&mlx4r_tags_lock);
log:
	if (why != NULL)
		RST_LOG(WARNING, "secondary process %d not tracked (%s): if it dies inside a burst, the stop of its queues waits for it",
			(int)pid, why);
	return tag;
}

/*
 * Is the marker at @p m set by a live lcore? R1 of the file comment
 * (acquire, pairs with the burst's release of 0), then, for a
 * secondary's tag, whether that process is gone: then the stale marker
 * is cleared (compare-and-swap, control path) and reads as clear.
 */
static bool
mlx4r_marker_busy(uint8_t *m)
{
	uint8_t v = __atomic_load_n(m, __ATOMIC_ACQUIRE);
	bool gone;

	if (v == 0)
		return false;
	if (v < MLX4R_TAG_FIRST_SECONDARY || v == MLX4R_TAG_UNTRACKED)
		return true;
	pthread_mutex_lock(&mlx4r_tags_lock);
	/* only tags given are stored; the check costs nothing */
	gone = v < mlx4r_tags_next && mlx4r_tag_exited(v);
	pthread_mutex_unlock(&mlx4r_tags_lock);
	if (!gone)
		return true;
	/*
	 * Acquire on success: nothing of ours moves above the proof. On
	 * failure a live lcore's tag is there (never a dead one's value:
	 * tags are not given twice): busy.
	 */
	if (!__atomic_compare_exchange_n(m, &v, 0, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_ACQUIRE))
		return true;
	RST_LOG(WARNING, "secondary process %d exited inside a burst: its queue marker cleared",
		(int)mlx4r_tags[v].pid);
	return false;
}

/*
 * Queues of a port.
 */

/*
 * Set every queue's barred flag of a port to @p v: relaxed atomic stores,
 * ordered against the bursts by the membarrier around them (file
 * comment); the bursts load barred with acquire (MLX4R_BURST_BARRED).
 */
static void
mlx4r_port_set_barred(struct mlx4r_port *port, uint8_t v)
{
	struct mlx4r_rxq *rxq;
	struct mlx4r_txq *txq;
	uint16_t i;

	/*
	 * The driver's list: ethdev's arrays may be freed meanwhile. A queue
	 * the application stopped stays barred (its start unbars it).
	 */
	MLX4R_FOREACH_RXQ(port, i, rxq)
		if (v != 0 || !rxq->stopped)
			__atomic_store_n(&rxq->barred, v, __ATOMIC_RELAXED);
	MLX4R_FOREACH_TXQ(port, i, txq)
		if (v != 0 || !txq->stopped)
			__atomic_store_n(&txq->barred, v, __ATOMIC_RELAXED);
}

void
mlx4r_port_bar(struct mlx4r_port *port)
{
	/*
	 * W2 of the file comment: ordered before the bursts' loads of barred
	 * by the process fence the caller issues next.
	 */
	mlx4r_port_set_barred(port, 1);
}

/*
 * One look at the in_burst markers of a (barred, fenced) port: R1 of the
 * file comment, on the driver's list. The acquire loads pair with the
 * release store of in_burst = 0 in MLX4R_BURST_LEAVE (mlx4r_rxtx.c, the
 * polling lcore): once 0 is seen, every access that burst made to the
 * queue happened before. @return true if no burst is inside; else false,
 * with the direction and index of a queue one is inside (may be NULL).
 */
bool
mlx4r_port_quiescent(struct mlx4r_port *port, const char **dir, uint16_t *q)
{
	struct mlx4r_rxq *rxq;
	struct mlx4r_txq *txq;
	uint16_t i;

	MLX4R_FOREACH_RXQ(port, i, rxq) {
		if (mlx4r_marker_busy(&rxq->in_burst)) {
			if (dir != NULL)
				*dir = "Rx";
			if (q != NULL)
				*q = i;
			return false;
		}
	}
	MLX4R_FOREACH_TXQ(port, i, txq) {
		if (mlx4r_marker_busy(&txq->in_burst)) {
			if (dir != NULL)
				*dir = "Tx";
			if (q != NULL)
				*q = i;
			return false;
		}
	}
	return true;
}

/*
 * After quiescence was seen without membarrier: the documented grace
 * period (mlx4r_process_fence()); nothing with it.
 */
void
mlx4r_quiesce_grace(void)
{
	if (mlx4r_membarrier_ok < 0)
		rte_delay_us_sleep(10000);
}

/*
 * Wait until no burst is inside a queue of the port (barred first, fence
 * issued): mlx4r_port_quiescent() until it holds.
 * @return 0, or -ETIMEDOUT when @p deadline_ns (monotonic) passed first.
 */
int
mlx4r_port_drain_wait(struct mlx4r_port *port, uint64_t deadline_ns,
		      bool *closing)
{
	unsigned int spins = 0;
	const char *dir = NULL;
	uint16_t q = 0;

	while (!mlx4r_port_quiescent(port, &dir, &q)) {
		if (closing != NULL && __atomic_load_n(closing,
						       __ATOMIC_RELAXED))
			return -EINTR;
		if (mlx4r_now_ns() >= deadline_ns) {
			RST_LOG(WARNING, MLX4R_PORT_FMT ": an lcore is still inside %s queue %u",
				MLX4R_PORT_ARGS(port), dir, q);
			return -ETIMEDOUT;
		}
		/* bursts take microseconds: spin first, then sleep */
		if (++spins < 1000)
			rte_pause();
		else
			rte_delay_us_sleep(50);
	}
	mlx4r_quiesce_grace();
	return 0;
}

/*
 * Bar one queue for good (its release) and wait, without a deadline,
 * until no burst is inside it: the same handshake on one queue. A queue
 * is released on a stopped port, already barred and quiescent (the stop
 * proved it), so this costs a load; the rest is defence.
 */
void
mlx4r_queue_retire(uint8_t *barred, uint8_t *in_burst)
{
	uint64_t warn = mlx4r_now_ns() + 1000000000ull;

	if (__atomic_load_n(barred, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(barred, 1, __ATOMIC_RELAXED); /* W2 */
	mlx4r_process_fence();
	while (mlx4r_marker_busy(in_burst)) { /* R1 */
		if (mlx4r_now_ns() >= warn) {
			RST_LOG(WARNING, "an lcore is still inside a released queue");
			warn = mlx4r_now_ns() + 1000000000ull;
		}
		rte_pause();
	}
	mlx4r_quiesce_grace();
}

/*
 * Bar one queue of a running port and wait, with a deadline, until no
 * burst is inside it: W2, the process fence, R1 (file comment), on that
 * queue only. Its lcore may have barred it already (a queue in error).
 * Control lock held.
 */
int
mlx4r_queue_quiesce(uint8_t *barred, uint8_t *in_burst,
		    uint64_t deadline_ns, bool *closing)
{
	unsigned int spins = 0;

	__atomic_store_n(barred, 1, __ATOMIC_RELAXED); /* W2 */
	mlx4r_process_fence();
	while (mlx4r_marker_busy(in_burst)) { /* R1 */
		if (closing != NULL &&
		    __atomic_load_n(closing, __ATOMIC_RELAXED))
			return -EINTR;
		if (mlx4r_now_ns() >= deadline_ns)
			return -ETIMEDOUT;
		if (++spins < 1000)
			rte_pause();
		else
			rte_delay_us_sleep(50);
	}
	if (mlx4r_membarrier_ok < 0)
		rte_delay_us_sleep(10000); /* the documented grace period */
	return 0;
}

/* Unbar one queue after its repair: fence, then barred = 0 (relaxed). */
void
mlx4r_queue_unbar(uint8_t *barred)
{
	mlx4r_process_fence();
	__atomic_store_n(barred, 0, __ATOMIC_RELAXED);
}

/*
 * Unbar a port whose queues were just (re)built: fence, then relaxed
 * stores of barred = 0 (see "Unbarring" in the file comment). Control
 * lock held.
 */
void
mlx4r_port_unbar(struct mlx4r_port *port)
{
	mlx4r_process_fence();
	mlx4r_port_set_barred(port, 0);
}

/*
 * Unbar the started ones of @p n ports of one HCA, all rebuilt: one fence
 * for all of them, then each port's relaxed stores. The fence follows
 * every write of every rebuilt queue, and only barred stores follow it,
 * so each port gets what mlx4r_port_unbar() gives it (file comment),
 * with one membarrier() (an IPI to every CPU running the process) instead
 * of one per port. Control lock held.
 */
void
mlx4r_ports_unbar(struct mlx4r_port *const *ports, unsigned int n)
{
	unsigned int i;

	mlx4r_process_fence();
	for (i = 0; i < n; i++)
		if (ports[i] != NULL && ports[i]->started)
			mlx4r_port_set_barred(ports[i], 0);
}
