/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The reset machine of one HCA with one port, its events, close, and the
 * application's acknowledgement through lib/resetcoord. Mirrors mlx4r_reset.c
 * (mlx4r_ctl_thread(), mlx4r_run_reset() and its phases, mlx4r_raise_one(),
 * mlx4r_reset_stop()), mlx4r_gate.c (mlx4r_g_reset() and the start of an
 * acknowledged port), the device core's async events (mlx4r_core.c: the
 * interrupt handler that posts MLX4R_REQ_FATAL) and lib/resetcoord/resetcoord.c
 * (resetcoord_event_cb(), resetcoord_control_thread(), resetcoord_port_event(),
 * resetcoord_port_step(), resetcoord_client_sync()).
 *
 * What is abstracted: time (a deadline is a nondeterministic choice, or,
 * for the passive acknowledgements, Promela's timeout: "long enough that
 * whoever can still act has acted"); the quiescence proof (quiesce.pml
 * checks it; here BARRED either proves quiescence or times out because an
 * lcore stays inside a burst, at most NSTUCK times); locks (each step
 * under the control lock or rq_lock is one atomic step); the device
 * objects (one context: open, dead, its interrupt handler installed);
 * the event callbacks run in ethdev (the driver's raise hands the event to
 * resetcoord_event_cb(), which queues it on lib/resetcoord's event ring, here evq).
 *
 * Properties, checked exhaustively within the bounds:
 *  - the event grammar of doc/guides/nics/mlx4r_reset.rst, per port:
 *    no second announcement (ERR_RECOVERING / INTR_RESET) before its
 *    outcome, no outcome (RECOVERY_SUCCESS / _FAILED) without one,
 *    INTR_RMV only right after RECOVERY_FAILED, and at the end every
 *    announcement has had its outcome unless the port was closed
 *    (assertions in raise() and in the process final);
 *  - the device is never declared live with a fault of its context
 *    unseen (LIVE with a dead context and no request pending);
 *  - every reset ends, in LIVE or FAILED, or is stopped by close; close
 *    ends in every phase (no invalid end state: nothing waits for ever;
 *    and with -DLIVENESS the LTL property "ends" under weak fairness:
 *    no livelock);
 *  - passive mode: lib/resetcoord acknowledges every INTR_RESET of a port it
 *    still manages (the driver's deadline for the acknowledgements is
 *    never needed; after INTR_RMV its port is REMOVED for good);
 *  - lib/resetcoord agrees with the driver at the end: its port is FAILED (or
 *    REMOVED) if the device is FAILED, LIVE and started (or REMOVED) if
 *    the device is LIVE, LIVE only then, and its client took the ops;
 *    the client never polls the port while lib/resetcoord resets or restores it
 *    (ethdev's contract).
 *
 * The device's errors are seen by its async event (the interrupt thread)
 * and by the health check of the control thread (mlx4r_periodic()).
 *
 * Variants (-D), each a bug of issue 12 or a part of the protocol taken
 * away:
 *   TIMEOUT_NO_ANNOUNCE   a quiescence timeout goes to FAILED unannounced
 *   CLEAR_LATE            REINIT clears the request word after installing
 *                         the new context's interrupt handler
 *   LAST_FAULT_DROPPED    a fault seen after the last attempt is dropped
 *                         and the device declared live
 *   NO_RESTART_FROM_FAILED  recovering from FAILED does not start again
 *                         the ports that were started
 *   RESETCOORD_NO_REACK          lib/resetcoord does not answer an INTR_RESET raised
 *                         while it restores the port
 *   NO_QUIESCE_DEADLINE   (with LIVENESS) BARRED waits for a stuck lcore
 *                         without a deadline
 *   NO_ACK_DEADLINE       (with LIVENESS) passive mode waits for the
 *                         acknowledgements without a deadline
 *   RESETCOORD_IGNORE_FAILED     lib/resetcoord ignores RECOVERY_FAILED with no reset
 *                         of its own running: caught with
 *                         TIMEOUT_NO_ANNOUNCE and NO_GRAMMAR (the grammar
 *                         assertions off), which without it pass: lib/resetcoord
 *                         stands even a driver that breaks the grammar so
 */

#ifndef NFAULTS
#define NFAULTS 2   /* catastrophic errors of a context */
#endif
#ifndef NOPER
#define NOPER 1     /* rte_pmd_mlx4r_reset() calls */
#endif
#ifndef NSTUCK
#define NSTUCK 1    /* quiescence timeouts (an lcore stays in a burst) */
#endif
#ifndef NOPENFAIL
#define NOPENFAIL 1 /* failed attempts to open the device in REINIT */
#endif
#ifndef ATTEMPTS
#define ATTEMPTS 2  /* devarg recovery_attempts */
#endif

/* enum mlx4r_rst_state */
#define LIVE      0
#define BARRED    1
#define DRAINING  2
#define RESETTING 3
#define REINIT    4
#define FAILED    5

/* the request word (MLX4R_REQ_*) */
#define R_FATAL  1
#define R_HEALTH 2
#define R_OPER   4
#define R_FAULTS 3

/* ethdev events as lib/resetcoord's ring carries them */
#define E_RESET   1 /* RTE_ETH_EVENT_INTR_RESET */
#define E_RECOV   2 /* RTE_ETH_EVENT_ERR_RECOVERING */
#define E_SUCCESS 3 /* RTE_ETH_EVENT_RECOVERY_SUCCESS */
#define E_FAILED  4 /* RTE_ETH_EVENT_RECOVERY_FAILED */
#define E_RMV     5 /* RTE_ETH_EVENT_INTR_RMV */
#define E_DESTROY 6 /* RTE_ETH_EVENT_DESTROY (ethdev, at close) */

/* return codes */
#define OK       0
#define ETIMEOUT 1
#define EINTR    2
#define EIO      3
#define EAGAIN   4

/* the driver */
byte state = LIVE;
bool proactive;
byte req;               /* rst->req, under rq_lock */
bool closing;           /* rst->closing */
bool ctl_done;          /* the control thread returned (joined) */
bool closed;            /* the port is closed: DESTROY raised */
bool ctx_open = 1;      /* dev->ctx */
bool ctx_dead;          /* ghost: the context met a catastrophic error */
bool ev_pend;           /* its DEVICE_FATAL waits on the async fd */
bool hdl = 1;           /* the interrupt handler of the context installed */
bool acked;             /* rst->port[].acked (passive) */
bool started = 1;       /* port->started */
bool restart;           /* rst->port[].restart (proactive replay) */
bool rmv;               /* intr_conf.rmv of the application */
bool running;           /* ghost: a reset runs */
byte stuck;             /* quiescence timeouts so far */
byte openfail;          /* failed opens so far */

/* the grammar monitor, per port (ghost) */
bool announced;
byte lastev;

/* lib/resetcoord: its event ring (resetcoord_post), one port, one client */
chan evq = [16] of { byte };
chan ackq = [4] of { byte };   /* r->acks */

#define P_IDLE     0
#define P_ACKS     1
#define P_RECOVERY 2
#define P_DEV_RESET 3
#define P_RESTORE  4
#define S_LIVE      0  /* enum resetcoord_port_state */
#define S_RESETTING 1
#define S_FAILED    2
#define S_REMOVED   3

byte rphase = P_IDLE;
byte rstate = S_LIVE;
bool need_outcome, need_reset, need_restore;
byte want_round;        /* resetcoord side of the client */
bool c_acked = 1, owed;
byte busy;
/* what the client's lcore reads (pub) */
bool pending;
byte round;
byte ops_state = S_LIVE;
byte cl_acked_round;    /* the client's c->acked_round */
bool at_idle;           /* ghost: the control thread waits for work */

/*
 * mlx4r_raise_one(): no event on a port being closed (the close's
 * mlx4r_raise_fence()); the callback, resetcoord_event_cb(), queues it for
 * lib/resetcoord's control thread. The grammar is checked here.
 */
#ifdef NO_GRAMMAR
#define GRAMMAR(c) skip
#else
#define GRAMMAR(c) assert(c)
#endif
inline raise(ev)
{
	d_step {
		if
		:: closing || closed -> skip
		:: else ->
			if
			:: ev == E_RESET || ev == E_RECOV ->
				GRAMMAR(!announced); /* one announcement per round */
				announced = 1
			:: ev == E_SUCCESS || ev == E_FAILED ->
				GRAMMAR(announced);  /* no outcome unannounced */
				announced = 0
			:: ev == E_RMV ->
				GRAMMAR(lastev == E_FAILED)
			:: else -> skip
			fi;
			lastev = ev;
			evq!ev
		fi
	}
}

/*
 * The device: a catastrophic error of the open context
 * (mlx4r_emu_fault_fatal(); on a card, mlx4 catas.c), at most NFAULTS.
 */
active proctype device()
{
	byte n = 0;

end:	do
	:: d_step { n < NFAULTS && ctx_open && !ctx_dead ->
		ctx_dead = 1; ev_pend = 1; n++ }
	od
}

/*
 * The EAL interrupt thread: the async-event handler of the context
 * (mlx4r_core.c) reads DEVICE_FATAL and posts MLX4R_REQ_FATAL
 * (mlx4r_reset_post()), while it is installed.
 */
active proctype intr()
{
end:	do
	:: d_step { ev_pend && hdl -> ev_pend = 0; req = req | R_FATAL }
	od
}

/* An operator: rte_pmd_mlx4r_reset() (mlx4r_pmd_api.c), NOPER times. */
active proctype operator()
{
	byte n = 0;

end:	do
	:: d_step { n < NOPER && !closing -> req = req | R_OPER; n++ }
	od
}

/*
 * The application closes the port (the last one) at any moment, or
 * never: mlx4r_reset_stop() sets closing under rq_lock and joins the
 * control thread; then ethdev raises DESTROY (rte_eth_dev_release_port()).
 */
active proctype closer()
{
	if
	:: skip
	:: goto no_close
	fi;
	closing = 1;
	ctl_done;
	d_step {
		closed = 1;
		announced = 0; /* DESTROY ends the port's events */
		lastev = E_DESTROY;
		evq!E_DESTROY
	};
no_close:	skip
}

/*
 * The control thread: mlx4r_ctl_thread() takes the request word (or the
 * health check, mlx4r_periodic(), finds the live context dead) and runs
 * mlx4r_run_reset() for it.
 */
active proctype ctl()
{
	byte trig, attempt, ret, again;
	bool from_failed;

	/* the devargs and the application's intr_conf.rmv */
	if
	:: proactive = 1
	:: proactive = 0
	fi;
	if
	:: rmv = 1
	:: rmv = 0
	fi;
idle:
	at_idle = 1;
end_idle:
	if
	:: closing -> goto out
	:: d_step { !closing && req != 0 -> trig = req; req = 0; at_idle = 0 }
	:: d_step { !closing && req == 0 && state == LIVE && ctx_open &&
		    ctx_dead -> trig = R_HEALTH; at_idle = 0 }
	fi;

	/* mlx4r_run_reset() */
	if
	:: state == FAILED && !(trig & R_OPER) -> goto idle
	:: else -> skip
	fi;
	d_step {
		from_failed = state == FAILED;
		running = 1;
		acked = 0;
		attempt = 1;
		if
		:: !from_failed -> restart = proactive && started
		:: else -> skip
		fi;
#ifdef NO_RESTART_FROM_FAILED
		if
		:: from_failed -> restart = proactive && started
		:: else -> skip
		fi;
#endif
		state = BARRED
	};

	/* mlx4r_phase_barred(): bar, fence, drain wait (quiesce.pml) */
	if
	:: ret = OK
	:: stuck < NSTUCK -> stuck++;
#ifdef NO_QUIESCE_DEADLINE
		/* the lcore never leaves: only close ends the wait */
		closing -> goto out
#else
		ret = ETIMEOUT
#endif
	:: closing -> goto out
	fi;
	if
	:: ret == ETIMEOUT && !from_failed && !(trig & R_FAULTS) ->
		/* mlx4r_reset_cancel(): not announced, the device untouched */
		d_step { state = LIVE; running = 0 };
		goto idle
	:: else -> skip
	fi;
	if
	:: ret == OK -> state = DRAINING
	:: else -> skip
	fi;
#ifdef TIMEOUT_NO_ANNOUNCE
	if
	:: ret == ETIMEOUT -> goto failed
	:: else -> skip
	fi;
#endif
	if
	:: proactive -> raise(E_RECOV)
	:: else -> raise(E_RESET)
	fi;

	/* passive: mlx4r_wait_acks() */
	if
	:: ret == OK && !proactive ->
		do
		:: acked -> break
		:: closing -> goto out
#ifndef NO_ACK_DEADLINE
		:: timeout ->
			/* the deadline: nobody acknowledged */
			/*
			 * lib/resetcoord acknowledges every INTR_RESET of a port it
			 * still manages (not after INTR_RMV: REMOVED is final)
			 */
			assert(closed || rstate == S_REMOVED);
			break
#endif
		od
	:: else -> skip
	fi;
	if
	:: closing -> goto out
	:: else -> skip
	fi;

	do
	:: ret != OK -> break
	:: ret == OK ->
		/*
		 * mlx4r_phase_draining(): mlx4r_port_release_hw() stops the
		 * started ports (the rings back to the mempools)
		 */
		d_step { state = DRAINING; started = 0 };
		/*
		 * mlx4r_phase_resetting(): the handler removed, the request
		 * word cleared (merged into this reset), the context closed
		 */
		d_step {
			state = RESETTING;
			hdl = 0;
#ifndef CLEAR_LATE
			req = 0;
#endif
			ctx_open = 0;
			ctx_dead = 0;
			ev_pend = 0
		};
		/* mlx4r_phase_reinit(): open, PD, handler, MRs, replay */
		state = REINIT;
		do
		:: closing -> goto out
		:: !closing ->
			if
			:: d_step { openfail < NOPENFAIL -> openfail++; ret = EIO }
			:: d_step { ret = OK; ctx_open = 1; ctx_dead = 0 }
			fi;
			if
			:: ret == OK ->
				hdl = 1; /* mlx4r_dev_intr_install() */
#ifdef CLEAR_LATE
				req = 0;
#endif
				if
				:: restart -> started = 1 /* the replay */
				:: else -> skip
				fi;
				break
			:: else ->
				/* mlx4r_reinit_undo(): nothing of it is left */
				started = 0;
				if
				:: attempt >= ATTEMPTS -> break
				:: else -> attempt++ /* back off, again */
				fi
			fi
		od;
		if
		:: ret != OK -> break
		:: else -> skip
		fi;
		/* a fault of the new context meanwhile restarts the attempt */
		d_step { again = req & R_FAULTS; req = 0 };
		if
		:: again == 0 -> break
		:: else -> skip
		fi;
		if
		:: attempt >= ATTEMPTS ->
#ifdef LAST_FAULT_DROPPED
			break
#else
			/* not declared live with a fault pending: failed */
			started = 0;
			ret = EIO;
			break
#endif
		:: else -> attempt++
		fi
	od;
	if
	:: closing -> goto out
	:: else -> skip
	fi;
	if
	:: ret == OK ->
		d_step {
			/* no fault of the new context left unseen */
			assert(!ctx_dead || ev_pend || (req & R_FAULTS));
			state = LIVE;
			running = 0
		};
		raise(E_SUCCESS);
		goto idle
	:: else -> skip
	fi;
failed:
	skip;
	d_step { state = FAILED; running = 0 };
	raise(E_FAILED);
	if
	:: rmv -> raise(E_RMV)
	:: else -> skip
	fi;
	goto idle;
out:
	ctl_done = 1
}

/*
 * lib/resetcoord, one port: the state machine of resetcoord_port_event() and
 * resetcoord_port_step(), one client (resetcoord_reset_begin(), resetcoord_reset_end(),
 * resetcoord_client_release(), resetcoord_collect_acks()).
 */
inline resetcoord_begin()
{
	rphase = P_ACKS;
	rstate = S_RESETTING;
	if
	:: busy == 0 ->
		want_round++;
		c_acked = 0;
		owed = 0;
		round = want_round;
		pending = 1
	:: else -> skip
	fi;
	busy++
}

inline resetcoord_release()
{
	ops_state = rstate;
	owed = 0;
	pending = 0
}

inline resetcoord_end(st)
{
	rphase = P_IDLE;
	rstate = st;
	need_outcome = 0;
	need_reset = 0;
	need_restore = 0;
	if
	:: busy > 0 ->
		busy--;
		if
		:: busy == 0 && !c_acked -> owed = 1 /* released at its ack */
		:: busy == 0 && c_acked -> resetcoord_release()
		:: else -> skip
		fi
	:: else -> skip
	fi
}

/* resetcoord_port_next() */
inline resetcoord_next()
{
	if
	:: need_outcome -> rphase = P_RECOVERY
	:: !need_outcome && need_reset -> rphase = P_DEV_RESET
	:: !need_outcome && !need_reset && need_restore -> rphase = P_RESTORE
	:: else -> resetcoord_end(S_LIVE)
	fi
}

/* resetcoord_port_lost() */
inline resetcoord_lost(st)
{
	if
	:: rphase == P_IDLE && (rstate == st || rstate == S_REMOVED) -> skip
	:: else ->
		if
		:: rphase == P_IDLE -> resetcoord_begin()
		:: else -> skip
		fi;
		resetcoord_end(st)
	fi
}

/* resetcoord_collect_acks(), one message */
inline resetcoord_ack(r)
{
	if
	:: r == want_round ->
		c_acked = 1;
		if
		:: owed && busy == 0 -> resetcoord_release()
		:: else -> skip
		fi
	:: else -> skip
	fi
}

active proctype resetcoord()
{
	byte ev, r, ret;

end:	do
	:: ackq?r -> d_step { resetcoord_ack(r) }
	:: atomic { evq?ev ->
		/* resetcoord_take_events(): acks first, then the event */
		do
		:: ackq?r -> resetcoord_ack(r)
		:: empty(ackq) -> break
		od;
		if
		:: rphase == P_ACKS && c_acked -> resetcoord_next()
		:: else -> skip
		fi;
		/* resetcoord_port_event() */
		if
		:: ev == E_RMV || ev == E_DESTROY -> resetcoord_lost(S_REMOVED)
		:: ev == E_FAILED ->
#ifdef RESETCOORD_IGNORE_FAILED
			if
			:: rphase != P_IDLE -> resetcoord_lost(S_FAILED)
			:: else -> skip
			fi
#else
			resetcoord_lost(S_FAILED)
#endif
		:: ev == E_SUCCESS ->
			if
			:: rphase == P_IDLE || !need_outcome -> skip
			:: else ->
				need_outcome = 0;
				if
				:: rphase == P_RECOVERY -> resetcoord_next()
				:: else -> skip
				fi
			fi
		:: ev == E_RESET || ev == E_RECOV ->
			if
			:: rstate == S_REMOVED -> skip
			:: else ->
				if
				:: ev == E_RESET -> need_reset = 1
				:: else -> need_outcome = 1
				fi;
				if
				:: rphase == P_IDLE -> resetcoord_begin()
#ifdef RESETCOORD_NO_REACK
				:: rphase == P_RESTORE -> skip
				:: rphase != P_IDLE && rphase != P_ACKS &&
				   rphase != P_RESTORE -> resetcoord_next()
#else
				:: rphase != P_IDLE && rphase != P_ACKS -> resetcoord_next()
#endif
				:: rphase == P_ACKS -> skip
				fi
			fi
		:: else -> skip
		fi
	   }
	:: d_step { rphase == P_ACKS && c_acked -> resetcoord_next() }
	:: d_step { rphase == P_DEV_RESET ->
		/* rte_eth_dev_reset(): the driver's mlx4r_g_reset() */
		if
		:: closed -> resetcoord_end(S_REMOVED)
		:: !closed && state == FAILED -> resetcoord_end(S_FAILED) /* -EIO */
		:: !closed && state != FAILED && state != LIVE && proactive ->
			skip /* -EBUSY: again at the next step */
		:: !closed && state != FAILED && (state == LIVE || !proactive) ->
			started = 0; /* stopped, queues released */
			if
			:: state != LIVE -> acked = 1 /* the acknowledgement */
			:: else -> skip
			fi;
			need_reset = 0;
			need_restore = 1;
			resetcoord_next()
		fi
	   }
	:: d_step { rphase == P_RESTORE &&
		    (closed || state == LIVE || state == FAILED) ->
		/*
		 * resetcoord_restore(): configure, queues, start; -EAGAIN while the
		 * reset runs (the step is taken once it would not be)
		 */
		if
		:: closed -> resetcoord_end(S_REMOVED)
		:: !closed && state == FAILED -> resetcoord_end(S_FAILED)
		:: !closed && state == LIVE ->
			started = 1;
			need_restore = 0;
			resetcoord_next()
		fi
	   }
	od
}

/*
 * The client's lcore: resetcoord_client_sync() when pending (drain, ack on the
 * ring), else a burst on the port when its ops say LIVE.
 */
active proctype client()
{
end:	do
	:: d_step { pending && cl_acked_round != round ->
		/* the drain callback, then the ack (release) */
		cl_acked_round = round;
		ackq!round }
	:: d_step { !pending && ops_state == S_LIVE &&
		    (rphase == P_DEV_RESET || rphase == P_RESTORE) ->
		assert(false) /* polling a port lib/resetcoord resets */ }
	od
}

/* At the end of every execution (or a deadlock): the state it ends in. */
active proctype final()
{
end:	do
	:: atomic { timeout && (at_idle || ctl_done) ->
		assert(!running || closing);
		if
		:: !closed ->
			GRAMMAR(!announced);
			/* FAILED: lib/resetcoord's port FAILED (or REMOVED: INTR_RMV) */
			assert(state != FAILED || rstate == S_FAILED ||
			       rstate == S_REMOVED);
			/* LIVE: started and LIVE for lib/resetcoord (unless removed) */
			assert(state != LIVE || rstate == S_REMOVED ||
			       (rstate == S_LIVE && started));
			assert(rstate != S_LIVE || state == LIVE);
			assert(!pending && ops_state == rstate)
		:: else -> skip
		fi
	   }
	od
}

#ifdef LIVENESS
/*
 * Every reset ends (LIVE or FAILED) or is stopped by close, under weak
 * fairness (pan -a -f): no livelock either.
 */
ltl ends { [] (running -> <> (!running || ctl_done)) }
#endif
