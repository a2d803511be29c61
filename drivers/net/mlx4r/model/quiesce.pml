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
 * Ghost state (what the C code cannot see, and the assertions check):
 * alive[a] (the memory at address a is a queue structure), rings (the
 * queue's rings and device objects exist), gen (the generation of the
 * device context the rings belong to).
 *
 * Properties (assertions, exhaustive within the bounds): a burst that
 * passes the bar check uses a live queue structure, live rings, of the
 * current generation, not in error, and never ethdev's dummy queue object
 * as a queue; between two control operations ethdev's fp_ops entry is
 * whole (never the real burst function with ethdev's dummy queue array);
 * at the end a started port that did not fail and has no repair pending
 * is unbarred (the lcore's own store of barred never overwrites an
 * unbar, mlx4r_quiesce.c "A queue in error"); no deadlock (every process
 * ends or sits at an end label).
 *
 * Variants (-D), each a bug of issue 12 the model must catch:
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
 * Bounds: one lcore, BURSTS bursts, one error CQE; one port with one
 * queue, ROUNDS control operations (each a device reset, a stop, a queue
 * release and set-up, a start, or a queue repair) after the first start,
 * and the repair of the lcore's last error.
 */

#ifndef BURSTS
#define BURSTS 3
#endif
#ifndef ROUNDS
#define ROUNDS 3
#endif

/* processes owning a store buffer */
#define LC 0 /* the lcore */
#define CT 1 /* the control thread */
#define NP 2

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

/* rte_eth_fp_ops[port]: burst function and queue data, written apart */
byte fp_fn = F_DUMMY;
byte fp_qd = Q_DUMMY;

byte cur = 0;       /* the queue's address in the driver's list */
bool lcore_done = false; /* the lcore finished its bursts */
bool control_done = false;
bool stopped_end, failed_end; /* how the control thread left the port */
bool qerr;          /* ghost: the queue met an error CQE, not repaired */
bool repair_req;    /* MLX4R_REQ_REPAIR posted by the lcore */

#define S(p, v) ((p) * NV + (v))

/* A store of process p: into its buffer. */
inline st(p, v, x)
{
	d_step {
		pend[S(p, v)] = 1;
		pval[S(p, v)] = x;
		seq[p]++;
		pseq[S(p, v)] = seq[p]
	}
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
		:: pend[S(p, k)] -> mem[k] = pval[S(p, k)]; pend[S(p, k)] = 0
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
 * a full barrier on every thread of the process. NO_MEMBARRIER: only the
 * caller's own fence.
 */
inline membarrier()
{
#ifdef NO_MEMBARRIER
	fence(CT)
#else
	d_step { flush(CT); flush(LC); k = 0 }
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
	:: d_step { pend[i] && OLDEST(i) -> mem[(i) % NV] = pval[i]; pend[i] = 0 }

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
	od
}

/*
 * The polling lcore: rte_eth_rx_burst() (loads fp_ops' function and
 * queue data, without synchronisation, one after the other), then
 * mlx4r_rx_burst(): MLX4R_QUEUE_IS, MLX4R_BURST_ENTER, MLX4R_BURST_BARRED
 * (acquire), the queue's use, MLX4R_BURST_LEAVE (release). The use may
 * meet an error CQE (at most once): mlx4r_queue_fault() bars the queue
 * itself (relaxed store) and asks the control thread for its repair,
 * before it leaves.
 */
active proctype lcore()
{
	byte b = 0, fn, qd, bar, g, k, tag;
	bool erred = false;

	do
	:: b < BURSTS ->
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
		/* MLX4R_BURST_ENTER: in_burst = 1 (relaxed), signal fence */
		st(LC, INBURST(qd), 1);
#ifdef HOIST
		ld(LC, QGEN(qd), g); /* the compiler hoisted a queue load */
#endif
		/* MLX4R_BURST_BARRED: acquire; freed memory reads 0 */
		if
		:: alive[qd] -> ld(LC, BARRED(qd), bar)
		:: else -> bar = 0
		fi;
		if
		:: bar != 0 ->
			/* refused (MLX4R_BURST_REFUSED), leave */
			d_step { flush(LC); k = 0 };
			st(LC, INBURST(qd), 0);
			goto next
		:: else -> skip
		fi;
#ifndef HOIST
		ld(LC, QGEN(qd), g);
#endif
		/*
		 * The burst uses the queue: rings, CQEs, doorbells; never a
		 * queue in error before its repair
		 */
use:		assert(alive[qd] && rings && g == gen && !qerr);
		if
		:: !erred ->
			/* an error CQE: mlx4r_queue_fault() */
			erred = true;
			qerr = 1;
#ifndef BAR_AFTER_LEAVE
			st(LC, BARRED(qd), 1);
#endif
			repair_req = 1
		:: true -> skip
		fi;
		assert(alive[qd] && rings && g == gen);
		/* MLX4R_BURST_LEAVE: release (earlier stores first) */
		d_step { flush(LC); k = 0 };
		st(LC, INBURST(qd), 0);
#ifdef BAR_AFTER_LEAVE
		if
		:: erred && repair_req -> st(LC, BARRED(qd), 1)
		:: else -> skip
		fi;
#endif
next:		skip
	:: else -> break
	od;
	lcore_done = true
}

/*
 * The wait for bursts in flight: mlx4r_port_drain_wait() (a device reset,
 * with a deadline) or mlx4r_queue_retire() / the stop's wait (without).
 * r is 1 when quiescence was proven, 0 at the deadline.
 */
inline drain_wait(deadline, r)
{
	do
	:: true ->
		ld(CT, INBURST(cur), r);
		if
		:: r == 0 -> r = 1; break
		:: else -> r = 0
		fi
	:: deadline -> r = 0; break
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
	d_step { rings = 1; qerr = 0 };
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
	d_step { qerr = 0; repair_req = 0 };
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
 *   the end, once the lcore is done, if it did).
 * Between two operations ethdev's fp_ops entry is whole: never the real
 * burst function with ethdev's dummy queue array.
 */
active proctype control()
{
	byte round = 0, r, k;
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
	/* the lcore's last request, once it is done */
	lcore_done;
	if
	:: repair_req && !stopped && !failed -> repair()
	:: else -> skip
	fi;
	d_step { stopped_end = stopped; failed_end = failed; control_done = true }
}

/*
 * At the end, all stores visible: a started port that did not fail and
 * has no repair pending is unbarred (no unbar lost to the lcore's own
 * store of barred).
 */
active proctype final()
{
	timeout ->
	assert(!control_done || stopped_end || failed_end || repair_req ||
	       mem[BARRED(cur)] == 0)
}
