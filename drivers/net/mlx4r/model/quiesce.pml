/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The quiescence handshake of one queue, with store buffers: the bar,
 * in_burst, the process-wide fence (membarrier) and the unbar, against a
 * polling lcore that calls the burst through ethdev's rte_eth_fp_ops
 * entry across resets, stops, queue releases and set-ups. Mirrors
 * mlx4r_quiesce.c (control side), MLX4R_BURST_ENTER / _BARRED / _LEAVE
 * and MLX4R_QUEUE_IS in mlx4r_rxtx.c (lcore side), mlx4r_rxq.c /
 * mlx4r_txq.c (type-stable queue structures) and DPDK 22.11's
 * eth_dev_fp_ops_reset() / eth_dev_fp_ops_setup() (lib/ethdev/
 * ethdev_private.c: the fp_ops entry ethdev rewrites at stop and start).
 *
 * Memory. Every shared field of the queue structure lives in mem[]; each
 * process (lcore, control thread) has a store buffer with one slot per
 * field: a store goes to the slot, and becomes visible in mem[] later, at
 * a step of the process "memory" (any time), or at a fence of its owner,
 * or at a membarrier of the control thread (which flushes every
 * process's buffer: MEMBARRIER_CMD_PRIVATE_EXPEDITED runs a full barrier
 * on every running thread, at whatever point of its instruction stream it
 * is). A load reads its own slot if full (store forwarding), else mem[].
 * By default pending stores become visible in any order (ARMv8's store
 * reordering; covers x86-TSO); -DTSO commits them in program order only.
 * Loads execute in program order: the acquire load of barred and of
 * in_burst (variants reorder them).
 *
 * Lcores and their tags (mlx4r_burst_tag, mlx4r_quiesce.c "A secondary
 * that dies inside a burst"). W1 stores the process's tag, not 1. The
 * queue is first polled by the lcore of a forwarding secondary (SEC, tag
 * TAG_SEC) that may be killed (SIGKILL) at any step, inside a burst or
 * not, or never; its exit completes later (every store of it visible,
 * its pidfd readable: kernel/exit.c do_exit(), kernel/pid.c
 * pidfd_poll()). Once it is gone, a new lcore (NEW, tag TAG_NEW: a new
 * secondary, tags are never given twice) takes the queue over. The
 * control thread's R1 is mlx4r_marker_busy(): the load, then for a
 * secondary's tag whether its process exited (a step of its own), then
 * a compare-and-swap from that tag to 0 (one atomic step on memory,
 * after which the marker reads as clear).
 *
 * Ghost state (what the C code cannot see, and the assertions check):
 * alive[a] (the memory at address a is a queue structure), rings (the
 * queue's rings and device objects exist), gen (the generation of the
 * device context the rings belong to), wby[a] (the process whose store
 * the visible in_burst of address a is: coherence order), inside[p]
 * (lcore p is between its W1 and W3; a killed one stays inside).
 *
 * Properties (assertions, exhaustive within the bounds):
 * (a) a burst of a live lcore that passes the bar check uses a live
 * queue structure, live rings, of the current generation, not in error
 * once the error was reported whole (a burst passes the bar of a queue
 * whose reporter was killed half-way: it meets the error CQE again and
 * reports it), and never ethdev's dummy queue object as a queue;
 * (b) the dead-marker cleanup only ever overwrites the dead process's
 * own store (or a 0): never a live lcore's marker, whether the new lcore
 * stored its tag before the control thread's load or between the
 * liveness check and the swap;
 * (c) no deadlock (every process ends or sits at an end label): in
 * particular the stop's wait (no deadline) ends when the dead process's
 * marker is the only one left, and a reset's drain never times out then
 * (its deadline is taken only while a live or still exiting lcore is
 * inside a burst: a timing assumption, the deadline is far longer than a
 * burst or an exit), so the reset completes;
 * and between two control operations ethdev's fp_ops entry is whole
 * (never the real burst function with ethdev's dummy queue array); at the
 * end a started port that did not fail and has no repair pending is
 * unbarred (the lcore's own store of barred never overwrites an unbar,
 * mlx4r_quiesce.c "A queue in error") and its queue is not left in error
 * (mlx4r_rxtx.c mlx4r_queue_fault(): a report cut by a kill is finished
 * by the next lcore).
 *
 * Variants (-D), each a bug the model must catch (issue 12, and the
 * dead-marker cleanup of rel3):
 *   NO_MEMBARRIER   bar/unbar with a fence of the control thread only
 *   NO_UNBAR_FENCE  unbar without the fence before barred = 0
 *   HOIST           a queue load hoisted above the load of barred
 *                   (a volatile load after a compiler barrier, no acquire)
 *   FREE_QUEUE      queue structures freed at release, a new one at set-up
 *                   (not type-stable)
 *   NO_TAG          bursts do not check the queue's tag (ethdev's dummy
 *                   queue object paired with the real burst function)
 *   FP_OPS_REWRITE  the end of a reset writes the real burst function
 *                   into fp_ops again, next to ethdev's dummy queue array
 *                   of a port stopped meanwhile
 *   BAR_AFTER_LEAVE the lcore bars its queue in error after it left the
 *                   burst (not before its release store of in_burst = 0)
 *   STALE_STORE     the cleanup stores 0 once the process was seen
 *                   exited, instead of the compare-and-swap from its tag
 *   TAG_REUSE       the new lcore's process gets the dead one's tag
 *                   again (the swap cannot tell the two apart)
 *   NO_STALE_CHECK  every non-zero marker counts (before rel3: the stop
 *                   waits for the dead lcore for ever)
 *   FAULT_ONCE      mlx4r_queue_fault() returns when the fault flag is set
 *                   already (before 2026-12-03: a secondary killed after
 *                   that store leaves a queue no one reports again)
 *   BAR_BEFORE_REQUEST the bar stored before the repair is asked for (a
 *                   secondary killed between them leaves a queue barred
 *                   for good, with no repair to come)
 * NO_KILL (not a bug): the secondary is never killed.
 * Bounds: two lcores one after the other on the queue (BURSTS bursts of
 * the secondary, killed at any step or not at all, then NBURSTS of the
 * new one), one error CQE in all, met by either; one port with one
 * queue, ROUNDS control operations (each a device reset, a stop, a queue
 * release and set-up, a start, or a queue repair) after the first start,
 * and the repair of the last error. The death of the secondary falls
 * between any two steps of its burst, also between the stores of
 * mlx4r_queue_fault() (the fault flag, the request, the bar): then the
 * error CQE, not consumed, is met again by the next lcore, whose report
 * must be whole (FAULT_ONCE and BAR_BEFORE_REQUEST are the two orders
 * that leave the queue in error for ever).
 */

#ifndef BURSTS
#define BURSTS 3
#endif
#ifndef NBURSTS
#define NBURSTS 1
#endif
#ifndef ROUNDS
#define ROUNDS 3
#endif

/* processes owning a store buffer */
#define SEC 0 /* the secondary's lcore, which may die */
#define NEW 1 /* the lcore that takes the queue over after it */
#define CT  2 /* the control thread (primary) */
#define NP  3

/*
 * in_burst values (mlx4r.h): 0 outside, else the process's tag;
 * MLX4R_TAG_PRIMARY (1) and MLX4R_TAG_UNTRACKED (255) always count, and
 * no lcore of the model has them.
 */
#define TAG_SEC 2
#ifdef TAG_REUSE
#define TAG_NEW 2
#else
#define TAG_NEW 3
#endif

/* fields of a queue structure at address a (two addresses) */
#define BARRED(a)  ((a) * 3 + 0)
#define INBURST(a) ((a) * 3 + 1)
#define QGEN(a)    ((a) * 3 + 2)
#define NV 6

/* what ethdev's fp_ops entry points at */
#define F_DUMMY 0 /* ethdev's dummy burst */
#define F_REAL  1 /* mlx4r_rx_burst */
#define Q_DUMMY 2 /* ethdev's dummy queue object (2 bytes, no tag) */

byte mem[NV];
bool pend[NP * NV];
byte pval[NP * NV];
byte pseq[NP * NV];
byte seq[NP];

/* ghost */
bool alive[2];
bool rings;
byte gen;
byte wby[2] = CT;   /* whose store the visible in_burst of a is */
bool inside[2];     /* lcore SEC / NEW between its W1 and W3 */

/* rte_eth_fp_ops[port]: burst function and queue data, written apart */
byte fp_fn = F_DUMMY;
byte fp_qd = Q_DUMMY;

byte cur = 0;       /* the queue's address in the driver's list */
bool killed;        /* SIGKILL sent to the secondary */
bool sec_exited;    /* its exit completed: stores visible, pidfd readable */
bool new_done;      /* the new lcore finished its bursts */
bool ctl_ops_done;  /* the control thread made its last operation */
bool texit[4];      /* by tag: the pidfd of its process is readable */
bool control_done = false;
bool stopped_end, failed_end; /* how the control thread left the port */
bool erred;         /* the error CQE was met (at most once) */
bool qerr;          /* ghost: the queue met an error CQE, not repaired */
bool reported;      /* ghost: mlx4r_queue_fault() done for it, whole */
bool qfault;        /* the queue's fault flag (sequentially consistent:
                     * the control thread reads it after the request) */
bool repair_req;    /* MLX4R_REQ_REPAIR posted by an lcore */

#define S(p, v) ((p) * NV + (v))

/* The ghost writer of field v's visible value (in_burst fields only). */
#define WBY(p, v) \
	if \
	:: ((v) % 3) == 1 -> wby[(v) / 3] = (p) \
	:: else -> skip \
	fi

/* A store of process p: into its buffer (st_: inside a d_step). */
inline st_(p, v, x)
{
	pend[S(p, v)] = 1;
	pval[S(p, v)] = x;
	seq[p]++;
	pseq[S(p, v)] = seq[p]
}

inline st(p, v, x)
{
	d_step { st_(p, v, x) }
}

/* A load of process p: its own pending store first. */
inline ld(p, v, r)
{
	d_step {
		if
		:: pend[S(p, v)] -> r = pval[S(p, v)]
		:: else -> r = mem[v]
		fi
	}
}

/* Make every pending store of p visible. */
inline flush(p)
{
	k = 0;
	do
	:: k < NV ->
		if
		:: pend[S(p, k)] ->
			mem[k] = pval[S(p, k)]; pend[S(p, k)] = 0;
			WBY(p, k)
		:: else -> skip
		fi;
		k++
	:: else -> break
	od
}

/* __atomic_thread_fence(SEQ_CST) of p: its own buffer only */
inline fence(p)
{
	d_step { flush(p); k = 0 }
}

/*
 * mlx4r_process_fence(): membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED),
 * then (GLOBAL_EXPEDITED) the same on the registered secondaries: a full
 * barrier on every thread. NO_MEMBARRIER: only the caller's own fence.
 */
inline membarrier()
{
#ifdef NO_MEMBARRIER
	fence(CT)
#else
	d_step { flush(CT); flush(SEC); flush(NEW); k = 0 }
#endif
}

/*
 * A pending store of slot i (process i / NV) becomes visible; with -DTSO
 * only the oldest of its process.
 */
#ifdef TSO
#define OLDEST(i) (!(pend[((i) / NV) * NV + 0] && pseq[((i) / NV) * NV + 0] < pseq[i]) && \
		   !(pend[((i) / NV) * NV + 1] && pseq[((i) / NV) * NV + 1] < pseq[i]) && \
		   !(pend[((i) / NV) * NV + 2] && pseq[((i) / NV) * NV + 2] < pseq[i]) && \
		   !(pend[((i) / NV) * NV + 3] && pseq[((i) / NV) * NV + 3] < pseq[i]) && \
		   !(pend[((i) / NV) * NV + 4] && pseq[((i) / NV) * NV + 4] < pseq[i]) && \
		   !(pend[((i) / NV) * NV + 5] && pseq[((i) / NV) * NV + 5] < pseq[i]))
#else
#define OLDEST(i) true
#endif
#define COMMIT(i) \
	:: d_step { pend[i] && OLDEST(i) -> mem[(i) % NV] = pval[i]; \
		    pend[i] = 0; WBY((i) / NV, (i) % NV) }

/* Stores become visible by themselves, one at a time, at any moment. */
active proctype memory()
{
end:	do
	COMMIT(0)
	COMMIT(1)
	COMMIT(2)
	COMMIT(3)
	COMMIT(4)
	COMMIT(5)
	COMMIT(6)
	COMMIT(7)
	COMMIT(8)
	COMMIT(9)
	COMMIT(10)
	COMMIT(11)
	COMMIT(12)
	COMMIT(13)
	COMMIT(14)
	COMMIT(15)
	COMMIT(16)
	COMMIT(17)
	od
}

/*
 * The bursts of lcore p (tag t, n of them): rte_eth_rx_burst() (loads
 * fp_ops' function and queue data, without synchronisation, one after
 * the other), then mlx4r_rx_burst(): MLX4R_QUEUE_IS, MLX4R_BURST_ENTER
 * (in_burst = mlx4r_burst_tag), MLX4R_BURST_BARRED (acquire), the
 * queue's use, MLX4R_BURST_LEAVE (release). The use may meet the error
 * CQE (once in all), and then mlx4r_queue_fault(), one step per store, so
 * that the secondary may be killed between them: the fault flag, the
 * request of the repair, the bar of the queue (a relaxed store of its
 * own), before it leaves. The error CQE is not consumed: a later burst
 * that passes the bar meets it again (the report of a killed secondary
 * left unfinished) and reports it. FAULT_ONCE: mlx4r_queue_fault()
 * returns at once when the fault flag is set already; BAR_BEFORE_REQUEST:
 * the bar stored before the request.
 */
inline bursts(p, t, n)
{
	b = 0;
	do
	:: b < n ->
		b++;
		fn = fp_fn;
		qd = fp_qd;
		if
		:: fn == F_DUMMY -> goto next /* ethdev's dummy burst */
		:: else -> skip
		fi;
		/* MLX4R_QUEUE_IS: NULL, ethdev's dummy, or not ours */
		if
		:: qd == Q_DUMMY ->
#ifdef NO_TAG
			assert(false) /* ethdev's 2-byte object used as a queue */
#else
			goto next
#endif
		:: else -> skip
		fi;
		if
		:: !alive[qd] ->
			/* freed memory: its tag byte may read anything */
			if
			:: tag = 1
			:: tag = 0
			fi;
			if
			:: tag == 0 -> goto next
			:: else -> skip
			fi
		:: else -> skip
		fi;
		/* MLX4R_BURST_ENTER: in_burst = t (relaxed), signal fence */
		d_step { st_(p, INBURST(qd), t); inside[p] = 1 };
#ifdef HOIST
		ld(p, QGEN(qd), g); /* the compiler hoisted a queue load */
#endif
		/* MLX4R_BURST_BARRED: acquire; freed memory reads 0 */
		if
		:: alive[qd] -> ld(p, BARRED(qd), bar)
		:: else -> bar = 0
		fi;
		if
		:: bar != 0 ->
			/* refused (MLX4R_BURST_REFUSED), leave */
			d_step { flush(p); k = 0 };
			d_step { st_(p, INBURST(qd), 0); inside[p] = 0 };
			goto next
		:: else -> skip
		fi;
#ifndef HOIST
		ld(p, QGEN(qd), g);
#endif
		/*
		 * The burst uses the queue: rings, CQEs, doorbells; never a
		 * queue in error reported whole (bar and request) before its
		 * repair
		 */
use:		assert(alive[qd] && rings && g == gen && !(qerr && reported));
		if
		:: qerr -> skip /* a report left unfinished: the CQE again */
		:: !qerr && !erred -> d_step { erred = true; qerr = 1 }
		:: !qerr -> goto used
		fi;
		/* mlx4r_queue_fault() */
		me = true;
#ifdef FAULT_ONCE
		if
		:: qfault -> goto used
		:: else -> skip
		fi;
#endif
		qfault = 1;
#if defined(BAR_BEFORE_REQUEST)
		st(p, BARRED(qd), 1);
		d_step { repair_req = 1; reported = 1 };
#elif defined(BAR_AFTER_LEAVE)
		d_step { repair_req = 1; reported = 1 };
#else
		repair_req = 1;
		d_step { st_(p, BARRED(qd), 1); reported = 1 };
#endif
used:		assert(alive[qd] && rings && g == gen);
		/* MLX4R_BURST_LEAVE: release (earlier stores first) */
		d_step { flush(p); k = 0 };
		d_step { st_(p, INBURST(qd), 0); inside[p] = 0 };
#ifdef BAR_AFTER_LEAVE
		if
		:: me && repair_req -> st(p, BARRED(qd), 1)
		:: else -> skip
		fi;
#endif
next:		skip
	:: else -> break
	od;
	skip /* a break may not jump into a d_step */
}

/*
 * The lcore of a forwarding secondary: its bursts, unless it is killed
 * first, at any step. Its exit completes after (kernel/exit.c do_exit():
 * exit_mm(), then exit_notify(), with the kernel's barriers): every
 * store of it is visible when its pidfd reads as exited.
 */
active proctype secondary()
{
	byte b, fn, qd, bar, g, k, tag;
	bool me = false; /* this lcore met the error CQE */

	{ bursts(SEC, TAG_SEC, BURSTS) } unless { killed };
	d_step { flush(SEC); k = 0; texit[TAG_SEC] = 1; sec_exited = 1 }
}

/* SIGKILL of the secondary, at any moment, or never (NO_KILL: never). */
active proctype killer()
{
	if
#ifndef NO_KILL
	:: killed = 1
#endif
	:: skip
	fi
}

/*
 * The lcore that polls the queue once the secondary is gone: a new
 * secondary (its own tag) started after the first one exited.
 * TAG_REUSE: it gets the dead one's tag, whose entry of mlx4r_tags[] then
 * names it (its pidfd is not readable).
 */
active proctype successor()
{
	byte b, fn, qd, bar, g, k, tag;
	bool me = false; /* this lcore met the error CQE */

	sec_exited;
#ifdef TAG_REUSE
	texit[TAG_NEW] = 0;
#endif
	bursts(NEW, TAG_NEW, NBURSTS);
	/*
	 * An lcore polls until the application stops it. Once the control
	 * thread made its last operation and its stores are visible (a
	 * store buffer drains), one more burst sees the port as it stays:
	 * enough to meet an error CQE that a killed secondary left with its
	 * report unfinished.
	 */
	ctl_ops_done && !pend[S(CT, 0)] && !pend[S(CT, 1)] &&
	    !pend[S(CT, 2)] && !pend[S(CT, 3)] && !pend[S(CT, 4)] &&
	    !pend[S(CT, 5)];
	bursts(NEW, TAG_NEW, 1);
	new_done = true
}

/*
 * mlx4r_marker_busy(): R1 (acquire) into mk; 0 is clear; a secondary's
 * tag whose process exited (gone: mlx4r_tag_exited() under
 * mlx4r_tags_lock, one step) is cleared by a compare-and-swap from mk to
 * 0 (one atomic step on memory; it fails when another store came after
 * the one read) and reads as clear. (b): the cleanup overwrites only the
 * dead process's store, or a 0. STALE_STORE: 0 stored whatever the
 * marker holds now (as if visible at once: one of its behaviours, enough
 * to show the bug). NO_STALE_CHECK: every non-zero value counts.
 */
inline marker_busy(busy)
{
	ld(CT, INBURST(cur), mk);
	if
	:: mk == 0 -> busy = 0
	:: else ->
		gone = texit[mk];
#ifdef NO_STALE_CHECK
		busy = 1
#else
		if
		:: !gone -> busy = 1
		:: else ->
			d_step {
#ifndef STALE_STORE
				if
				:: mem[INBURST(cur)] == mk ->
#endif
					assert(mem[INBURST(cur)] == 0 ||
					       wby[cur] == SEC);
					mem[INBURST(cur)] = 0;
					wby[cur] = CT;
					busy = 0
#ifndef STALE_STORE
				:: else -> busy = 1
				fi
#endif
			}
		fi
#endif
	fi
}

/*
 * The wait for bursts in flight: mlx4r_port_drain_wait() (a device reset,
 * with a deadline) or mlx4r_queue_retire() / the stop's wait (without).
 * r is 1 when quiescence was proven, 0 at the deadline. The C code spins
 * on R1; here a look that found the marker busy waits until the marker or
 * its process's exit changed (the same behaviours, but a wait that can
 * never end is a deadlock the search reports). The deadline is taken only
 * while an lcore that is alive, or still exiting, is inside a burst.
 */
inline drain_wait(deadline, r)
{
	do
	:: true ->
		marker_busy(busy);
		if
		:: !busy -> r = 1; break
		:: else -> (mem[INBURST(cur)] != mk || texit[mk] != gone)
		fi
	:: deadline && ((inside[SEC] && !sec_exited) || inside[NEW]) ->
		r = 0; break
	od;
	skip /* a break may not jump into a d_step */
}

/* mlx4r_port_bar() then mlx4r_process_fence() */
inline bar_port()
{
	st(CT, BARRED(cur), 1);
	membarrier()
}

/*
 * mlx4r_port_unbar(): the rebuilt queue was written, fence, barred = 0.
 * A reset unbars its ports with one fence after rebuilding all of them
 * (mlx4r_ports_unbar()): for this port that is the same sequence, with
 * only another port's barred store between the fence and its own.
 * NO_UNBAR_FENCE: without the fence; UNBAR_RELEASE: a release store of
 * barred = 0 instead of the fence (an alternative, not a bug).
 */
inline unbar_port()
{
#if defined(UNBAR_RELEASE)
	fence(CT); /* a release store: the caller's earlier stores first */
#elif !defined(NO_UNBAR_FENCE)
	membarrier();
#endif
	st(CT, BARRED(cur), 0)
}

/* The queue's rings and device objects built for the current context. */
inline build_rings()
{
	d_step { rings = 1; qerr = 0; reported = 0; qfault = 0 };
	st(CT, QGEN(cur), gen)
}

/*
 * The queue's repair without a device reset (mlx4r_repair.c):
 * mlx4r_queue_quiesce() (W2, fence, R1 on the queue), the repair,
 * mlx4r_queue_unbar() (fence, barred = 0).
 */
inline repair()
{
	st(CT, BARRED(cur), 1);
	membarrier();
	drain_wait(false, r);
	d_step { qerr = 0; reported = 0; qfault = 0; repair_req = 0 };
	unbar_port()
}

/*
 * The control thread: ROUNDS operations on the port, each one of
 * - a device reset, mlx4r_run_reset(): mlx4r_phase_barred() (bar, fence,
 *   drain wait with a deadline), DRAINING / RESETTING (the rings and the
 *   context freed), REINIT (a new context: the generation changes; the
 *   proactive replay rebuilds the rings of a started port in the same
 *   queue structure; the Rx buffers it keeps, mlx4r_rxq_keep(), are host
 *   memory of that structure that only the control thread touches while
 *   the queue is barred, so rings models the device objects and their
 *   buffers alone), mlx4r_port_unbar(); a quiescence timeout leaves the
 *   device as it is (FAILED: nothing freed, the queue stays barred);
 *   FP_OPS_REWRITE: its end writes the real burst function into fp_ops
 *   again (the old code);
 * - rte_eth_dev_stop(): ethdev's eth_dev_fp_ops_reset() (the dummy
 *   function, then the dummy queue array: a struct assignment, whose
 *   store order is the compiler's; either order gives the lcore a torn
 *   pair), the driver's stop (bar, fence, wait without a deadline, free
 *   the rings);
 * - on a stopped port, a queue release (mlx4r_queue_retire(): barred
 *   already) and set-up (type-stable: the same structure, mlx4r_rxq.c;
 *   FREE_QUEUE: freed and a new one allocated elsewhere);
 * - on a stopped port, rte_eth_dev_start(): the rings built,
 *   mlx4r_port_unbar(), ethdev's eth_dev_fp_ops_setup() (function, then
 *   queue array);
 * - the repair of a queue in error, when the lcore asked for it (and at
 *   the end, once the lcores are done, if one did).
 * Between two operations ethdev's fp_ops entry is whole: never the real
 * burst function with ethdev's dummy queue array.
 */
active proctype control()
{
	byte round = 0, r, k, mk;
	bool busy, gone;
	bool failed = false, stopped = false;

	/* probe, configure, queue set-up, start */
	d_step {
		alive[0] = 1;
		mem[BARRED(0)] = 1;
		gen = 1;
		rings = 1;
		mem[QGEN(0)] = 1
	};
	unbar_port();
	fp_fn = F_REAL;
	fp_qd = cur;
	do
	:: round < ROUNDS && !failed ->
		round++;
		if
		:: /* a device reset (mlx4r_run_reset) */
			if
			:: !stopped ->
				bar_port();
				drain_wait(true, r);
				if
				:: r == 0 ->
					failed = true /* left as it is */
				:: else ->
					rings = 0; /* DRAINING, RESETTING */
					gen++;     /* REINIT: a new context */
					build_rings(); /* the replay */
					unbar_port()
				fi
			:: stopped ->
				gen++ /* a stopped port: nothing to replay */
			fi;
#ifdef FP_OPS_REWRITE
			fp_fn = F_REAL;
#endif
			skip
		:: !stopped -> /* rte_eth_dev_stop */
			fp_fn = F_DUMMY;
			fp_qd = Q_DUMMY;
			bar_port();
			drain_wait(false, r);
			rings = 0;
			stopped = true
		:: stopped -> /* queue release, set-up */
#ifdef FREE_QUEUE
			d_step {
				alive[cur] = 0;
				cur = 1 - cur;
				alive[cur] = 1;
				mem[BARRED(cur)] = 1;
				mem[INBURST(cur)] = 0;
				wby[cur] = CT;
				mem[QGEN(cur)] = 0
			}
#else
			skip /* mlx4r_queue_retire: barred already */
#endif
		:: stopped -> /* rte_eth_dev_start */
			build_rings();
			unbar_port();
			fp_fn = F_REAL;
			fp_qd = cur;
			stopped = false
		:: repair_req && !stopped ->
			repair()
		fi;
		assert(!(fp_fn == F_REAL && fp_qd == Q_DUMMY))
	:: else -> break
	od;
	/* the lcores' last request, once they are done */
	ctl_ops_done = true;
	sec_exited && new_done;
	if
	:: repair_req && !stopped && !failed -> repair()
	:: else -> skip
	fi;
	d_step { stopped_end = stopped; failed_end = failed; control_done = true }
}

/*
 * At the end, all stores visible: a started port that did not fail and
 * has no repair pending is unbarred (no unbar lost to the lcore's own
 * store of barred); and its queue is not in error (an error CQE met by
 * a secondary killed before its report was whole is reported by the next
 * lcore, and repaired).
 */
active proctype final()
{
	timeout ->
	assert(!control_done || stopped_end || failed_end || repair_req ||
	       mem[BARRED(cur)] == 0);
	assert(!control_done || stopped_end || failed_end || !qerr)
}
