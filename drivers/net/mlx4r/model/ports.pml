/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The reset machine of an HCA with two ports, each with its own
 * application thread that acknowledges (passive mode), or not, and may
 * close its port at any moment: the per-port side of mlx4r_reset.c
 * (mlx4r_run_reset()'s list of the ports it announced, mlx4r_raise_one()
 * on a port being closed, mlx4r_wait_acks() over the ports still there,
 * mlx4r_dev_port_closed(): a port leaves rst->ports, the last one stops
 * the control thread) and mlx4r_g_reset(). reset.pml has the rest of the
 * machine (faults during REINIT, the health check, lib/resetcoord); here the
 * device meets at most NFAULTS catastrophic errors, an operator may ask
 * for a reset, and BARRED may time out once.
 *
 * Properties: the passive wait ends as soon as every port still there
 * acknowledged (the deadline, Promela's timeout, is taken only when one
 * has not: a pthread_cond_broadcast() of rq_cond is modelled as woken,
 * set where the C code broadcasts); the event grammar per port (no second announcement before
 * the outcome, no outcome unannounced, nothing after DESTROY; at the end
 * every announcement of a port still open had its outcome); every reset
 * ends or the last close stops it; nothing waits for ever (no invalid
 * end state), whichever port closes in whichever phase.
 *
 * Variants (-D):
 *   ACK_ALL_PORTS   mlx4r_wait_acks() waits for every port announced,
 *                   also one closed since (it never acknowledges)
 *   CLOSE_NO_WAKE   the close of a port that is not the last does not
 *                   wake the control thread waiting for the
 *                   acknowledgements: it sleeps until the deadline
 *                   although every port left has acknowledged
 */

#ifndef NFAULTS
#define NFAULTS 1
#endif
#ifndef NOPER
#define NOPER 1
#endif

#define LIVE      0
#define BARRED    1
#define DRAINING  2
#define RESETTING 3
#define REINIT    4
#define FAILED    5

#define E_ANN     1 /* ERR_RECOVERING (proactive) / INTR_RESET (passive) */
#define E_SUCCESS 2
#define E_FAILED  3
#define E_DESTROY 4

byte state = LIVE;
bool proactive;
byte req;
bool closing, ctl_done, running;
bool stuck_used;

bool open[2] = 1;      /* rst->ports[] and open_devs[] */
bool woken;            /* a pthread_cond_broadcast() of rq_cond */
bool announced_to[2];  /* mlx4r_run_reset()'s eth_devs[] of this reset */
bool acked[2];         /* rst->port[].acked */
bool closed[2];        /* DESTROY raised */

/* grammar monitor (ghost) */
bool announced[2];
chan evq[2] = [6] of { byte };

inline raise_one(p, ev)
{
	d_step {
		if
		:: closing || !open[p] -> skip /* mlx4r_raise_fence() */
		:: else ->
			assert(!closed[p]);
			if
			:: ev == E_ANN -> assert(!announced[p]); announced[p] = 1
			:: ev == E_SUCCESS || ev == E_FAILED ->
				assert(announced[p]); announced[p] = 0
			:: else -> skip
			fi;
			evq[p]!ev;
			woken = 1 /* the broadcast at the end of a raise */
		fi
	}
}

/* every port still there acknowledged */
#define ACKED_OPEN ((!open[0] || acked[0]) && (!open[1] || acked[1]))
#ifdef ACK_ALL_PORTS
#define ACKED ((!announced_to[0] || acked[0]) && (!announced_to[1] || acked[1]))
#else
#define ACKED ACKED_OPEN
#endif

/* mlx4r_raise() to the ports announced */
inline raise_all(ev)
{
	raise_one(0, ev);
	raise_one(1, ev)
}

active proctype device()
{
	byte n = 0;

end:	do
	:: d_step { n < NFAULTS && !closing -> req = req | 1; woken = 1; n++ }
	od
}

active proctype operator()
{
	byte n = 0;

end:	do
	:: d_step { n < NOPER && !closing -> req = req | 2; woken = 1; n++ }
	od
}

/* mlx4r_ctl_thread(), mlx4r_run_reset() */
active proctype ctl()
{
	byte trig, ret;
	bool from_failed;

	if
	:: proactive = 1
	:: proactive = 0
	fi;
idle:
end_idle:
	if
	:: closing -> goto out
	:: d_step { !closing && req != 0 -> trig = req; req = 0 }
	fi;
	if
	:: state == FAILED && !(trig & 2) -> goto idle
	:: else -> skip
	fi;
	d_step {
		from_failed = state == FAILED;
		running = 1;
		acked[0] = 0;
		acked[1] = 0;
		state = BARRED
	};
	if
	:: ret = 0
	:: !stuck_used -> stuck_used = 1; ret = 1 /* -ETIMEDOUT */
	:: closing -> goto out
	fi;
	if
	:: ret == 1 && !from_failed && !(trig & 1) ->
		d_step { state = LIVE; running = 0 }; /* cancelled */
		goto idle
	:: else -> skip
	fi;
	if
	:: ret == 0 -> state = DRAINING
	:: else -> skip
	fi;
	/* the ports announced now get the outcome (unless closed since) */
	d_step {
		announced_to[0] = open[0];
		announced_to[1] = open[1]
	};
	raise_all(E_ANN);
	if
	:: ret == 0 && !proactive ->
		/*
		 * mlx4r_wait_acks(): every port still there acknowledged?
		 * Else sleep on rq_cond until a broadcast or the deadline.
		 */
		do
		:: d_step { ACKED -> woken = 0 }; break
		:: d_step { !ACKED && !closing -> woken = 0 };
			if
			:: d_step { woken || closing -> skip }
			:: timeout ->
				/*
				 * The deadline, Promela's timeout: nothing else
				 * can happen. Never while every port still there
				 * has acknowledged: the device is reset once
				 * they all did, not at the deadline.
				 */
				assert(!ACKED_OPEN);
				break
			fi
		:: closing -> goto out
		od
	:: else -> skip
	fi;
	if
	:: closing -> goto out
	:: else -> skip
	fi;
	if
	:: ret == 0 ->
		state = RESETTING;
		state = REINIT;
		if
		:: closing -> goto out
		:: else -> skip
		fi;
		if
		:: ret = 0
		:: ret = 2 /* the device does not come back */
		fi
	:: else -> skip
	fi;
	if
	:: closing -> goto out
	:: else -> skip
	fi;
	if
	:: ret == 0 ->
		d_step { state = LIVE; running = 0 };
		raise_all(E_SUCCESS)
	:: else ->
		d_step { state = FAILED; running = 0 };
		raise_all(E_FAILED)
	fi;
	goto idle;
out:
	ctl_done = 1
}

/*
 * The application of port p: takes its events; in passive mode it may
 * acknowledge an INTR_RESET (rte_eth_dev_reset(): mlx4r_g_reset()) or
 * not; it may close its port at any moment (rte_eth_dev_close():
 * mlx4r_dev_port_closed(); the last port's close stops and joins the
 * control thread), after which ethdev raises DESTROY.
 */
proctype app(byte p)
{
	byte ev;
	bool want_ack = 0, will_close;

	/* whether this application closes its port at some point */
	if
	:: will_close = 1
	:: will_close = 0
	fi;
end:	do
	:: evq[p]?ev ->
		if
		:: ev == E_ANN && !proactive -> want_ack = 1
		:: else -> skip
		fi
	:: d_step { want_ack && !closed[p] ->
		/* mlx4r_g_reset() under the control lock */
		if
		:: state != LIVE && state != FAILED ->
			acked[p] = 1;
			woken = 1 /* mlx4r_g_reset()'s broadcast */
		:: else -> skip
		fi;
		want_ack = 0 }
	:: want_ack -> want_ack = 0 /* this one does not acknowledge */
	:: will_close && !closed[p] ->
		/* rte_eth_dev_close(), at any moment */
		if
		:: d_step { open[1 - p] -> open[p] = 0;
#ifndef CLOSE_NO_WAKE
			woken = 1 /* mlx4r_g_close()'s broadcast */
#else
			skip
#endif
		   } /* not the last */
		:: atomic { !open[1 - p] -> open[p] = 0; closing = 1 };
			ctl_done /* pthread_join() */
		fi;
		d_step {
			closed[p] = 1;
			announced[p] = 0 /* DESTROY ends its events */
		};
		break
	od;
	/* events queued before the close, not delivered: gone with it */
end2:	do
	:: evq[p]?ev
	od
}

/* At the end: every announcement of an open port had its outcome. */
active proctype final()
{
end:	do
	:: atomic { timeout && (ctl_done || ctl@end_idle) ->
		assert(!running || closing);
		assert(closed[0] || !announced[0]);
		assert(closed[1] || !announced[1])
	   }
	od
}

init
{
	atomic {
		run app(0);
		run app(1)
	}
}
