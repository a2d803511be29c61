/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The ledger and the report.
 *
 * Every frame is followed along the path of one generator's stream:
 *
 *   generator of port i --wire--> device Rx of port i --ring--> app Rx
 *   --app--> app Tx to port j = i ^ 1 --ring--> device Tx of port j
 *   --wire--> checker of port j
 *
 * and every boundary has a counter on each side, read once everything has
 * stopped (generators off, lcores drained and joined, ports still
 * started). The buckets:
 *
 *   offered   = generator sent + generator wire_drop (sequence numbers used)
 *   forwarded = checker of j: distinct frames received
 *   refused   = app: frames it received and dropped (Tx refused while a
 *               reset was under way, Tx buffer drained, peer port failed)
 *   missed    = device Rx of i: no posted buffer (rx_missed, which also
 *               counts the generator's backlog overflow), no ready queue
 *               (rx_dropped), receive errors, and the frames the device
 *               never saw (link down, device frozen by a catastrophic
 *               error: offered minus everything the device counted)
 *   lost      = written to an Rx buffer but never polled (device rx_frames
 *               - app Rx: flushed from the ring at a reset)
 *             + handed to Tx but never sent (app Tx - device tx_frames
 *               - device tx_dropped: flushed from the ring at a reset)
 *             + dropped by the device on a link that was down (tx_dropped)
 *             + sent but not seen by the checker (device tx_frames -
 *               checker distinct frames: 0 on the emulated wire)
 *
 * Summed, the boundaries telescope and
 *   offered - (forwarded + refused + missed + lost)
 *     = app Rx - app Tx - refused,
 * the application's own balance: the identity closes exactly iff the
 * application accounted for every frame it held. Each boundary term must
 * moreover be >= 0 (a negative one is a counter that lies), and two
 * independent witnesses are checked: the checker's own gap count (lost
 * sequence numbers) may not exceed what the ledger says did not arrive,
 * and what the driver says it reclaimed from its rings at resets, with
 * the Rx buffers a proactive reset kept and posted again
 * (reset_mbufs_kept), must cover the frames lost in rings.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "resetcoord.h"
#include "rte_pmd_mlx4r.h"
#include "emu/mlx4r_emu.h"

#include "fwd.h"

/* The ledger of one generator's stream (port i to port i ^ 1). */
struct fwd_ledger {
	bool known;              /* port i is cabled to the generator */
	uint64_t offered;
	uint64_t gen_sent;
	uint64_t gen_wire_drop;
	uint64_t forwarded;
	uint64_t refused;
	uint64_t missed;
	uint64_t missed_no_buffer;
	uint64_t missed_not_ready;
	uint64_t missed_unseen;
	uint64_t lost;
	uint64_t lost_rx_ring;
	uint64_t lost_tx_ring;
	uint64_t lost_link;
	uint64_t lost_wire;
	int64_t unaccounted;     /* offered - the four buckets */
	uint64_t app_rx;
	uint64_t app_tx;
	uint64_t duplicated;
	uint64_t out_of_order;
	uint64_t checker_gaps;   /* the checker's own count of lost seq */
	uint64_t bytes;          /* forwarded bytes */
	bool negative;           /* a boundary counted backwards */
};

/* Per port, what the driver and resetcoord say. */
struct fwd_port_end {
	uint64_t rx_refused_bursts;
	uint64_t tx_refused_packets;
	uint64_t mbufs_reclaimed;
	uint64_t imissed;
	bool have_rst;
	struct rte_pmd_mlx4r_reset_state rst;
	struct resetcoord_port_stats resetcoord;
};

static struct fwd_ledger fwd_led[FWD_MAX_PORTS];
static struct fwd_port_end fwd_end[FWD_MAX_PORTS];
static double fwd_elapsed_s;

static uint64_t
fwd_xstat(uint16_t port_id, const char *name)
{
	uint64_t id, v;

	if (rte_eth_xstats_get_id_by_name(port_id, name, &id) != 0 ||
	    rte_eth_xstats_get_by_id(port_id, &id, &v, 1) != 1)
		return 0;
	return v;
}

/* a - b as a boundary term: flag it when it would be negative */
static uint64_t
fwd_diff(uint64_t a, uint64_t b, bool *negative)
{
	if (a < b) {
		*negative = true;
		return 0;
	}
	return a - b;
}

void
fwd_report_collect(struct fwd_app *a)
{
	uint16_t i;

	fwd_elapsed_s = fwd_now_s();
	for (i = 0; i < a->nb_ports; i++) {
		struct fwd_port *pi = &a->ports[i], *pj = &a->ports[i ^ 1];
		struct fwd_ledger *l = &fwd_led[i];
		struct fwd_port_end *e = &fwd_end[i];
		struct mlx4r_emu_gen_stats gs;
		struct mlx4r_emu_chk_stats cs;
		struct mlx4r_emu_port_stats rs, ts;
		struct rte_eth_stats es;
		uint64_t seen;

		memset(l, 0, sizeof(*l));
		memset(e, 0, sizeof(*e));
		e->rx_refused_bursts = fwd_xstat(pi->port_id,
						 "rx_refused_bursts");
		e->tx_refused_packets = fwd_xstat(pi->port_id,
						 "tx_refused_packets");
		e->mbufs_reclaimed = fwd_xstat(pi->port_id,
					       "reset_mbufs_reclaimed");
		if (rte_eth_stats_get(pi->port_id, &es) == 0)
			e->imissed = es.imissed;
		e->have_rst = rte_pmd_mlx4r_reset_state_get(pi->port_id,
							    &e->rst) == 0;
		resetcoord_port_stats_get(a->resetcoord, pi->port_id, &e->resetcoord);

		l->app_rx = fwd_port_rx(a, i);
		l->app_tx = fwd_port_tx(a, i ^ 1);
		l->refused = fwd_port_refused(a, i);
		if (pi->emu == NULL || pj->emu == NULL ||
		    mlx4r_emu_wire_kind(pi->emu, pi->hw_port) !=
		    MLX4R_EMU_WIRE_PEER ||
		    mlx4r_emu_gen_stats(pi->emu, pi->hw_port, &gs) != 0 ||
		    mlx4r_emu_chk_stats(pj->emu, pj->hw_port, &cs) != 0 ||
		    mlx4r_emu_port_stats(pi->emu, pi->hw_port, &rs) != 0 ||
		    mlx4r_emu_port_stats(pj->emu, pj->hw_port, &ts) != 0)
			continue;
		l->known = true;
		l->gen_sent = gs.sent;
		l->gen_wire_drop = gs.wire_drop;
		l->offered = gs.sent + gs.wire_drop;
		l->forwarded = cs.unique;
		l->duplicated = cs.duplicated;
		l->out_of_order = cs.out_of_order;
		l->checker_gaps = cs.lost;
		l->bytes = cs.bytes;
		/* device Rx of port i */
		l->missed_no_buffer = rs.rx_missed;
		l->missed_not_ready = rs.rx_dropped + rs.rx_errors;
		seen = rs.rx_frames + rs.rx_missed + rs.rx_dropped +
		       rs.rx_errors;
		l->missed_unseen = fwd_diff(l->offered, seen, &l->negative);
		l->missed = l->missed_no_buffer + l->missed_not_ready +
			    l->missed_unseen;
		/* rings and wires */
		l->lost_rx_ring = fwd_diff(rs.rx_frames, l->app_rx,
					   &l->negative);
		l->lost_tx_ring = fwd_diff(l->app_tx,
					   ts.tx_frames + ts.tx_dropped,
					   &l->negative);
		l->lost_link = ts.tx_dropped;
		l->lost_wire = fwd_diff(ts.tx_frames, cs.unique,
					&l->negative);
		l->lost = l->lost_rx_ring + l->lost_tx_ring + l->lost_link +
			  l->lost_wire;
		l->unaccounted = (int64_t)l->offered -
			(int64_t)(l->forwarded + l->refused + l->missed +
				  l->lost);
	}
}

static const char *
fwd_outcome_name(const struct fwd_reset *r)
{
	if (r->end_s < 0)
		return "unfinished";
	switch (r->outcome) {
	case RESETCOORD_EVENT_RESET_DONE:
		return "recovered";
	case RESETCOORD_EVENT_RESET_FAILED:
		return "failed";
	case RESETCOORD_EVENT_REMOVED:
		return "removed";
	default:
		return "?";
	}
}

/* Fill the traffic gap of finished resets from the streams' stamps. */
void
fwd_resets_update(struct fwd_app *a)
{
	unsigned int k, i;

	rte_spinlock_lock(&a->lock);
	for (k = 0; k < a->nb_resets; k++) {
		struct fwd_reset *r = &a->resets[k];

		if (r->end_s < 0 || r->first_rx_after != 0)
			continue;
		for (i = 0; i < a->nb_streams; i++) {
			const struct fwd_stream *s = &a->streams[i];
			uint64_t before = __atomic_load_n(&s->drain_rx_tsc,
							  __ATOMIC_RELAXED);
			uint64_t after = __atomic_load_n(&s->first_rx_tsc,
							 __ATOMIC_RELAXED);

			if (s->rx_port != r->port)
				continue;
			/* the drain of this reset ran between begin and end */
			if (before <= r->end_tsc && before > r->last_rx_before)
				r->last_rx_before = before;
			if (after > r->begin_tsc &&
			    (r->first_rx_after == 0 || after < r->first_rx_after))
				r->first_rx_after = after;
		}
	}
	rte_spinlock_unlock(&a->lock);
}

/* Frames per second port p received in [t0, t0 + span] (timeline). */
static double
fwd_pps_after(const struct fwd_app *a, uint16_t p, double t0, double span)
{
	const struct fwd_sample *s0 = NULL, *s1 = NULL;
	unsigned int k;

	for (k = 0; k < a->nb_samples; k++) {
		const struct fwd_sample *s = &a->samples[k];

		if (s0 == NULL && s->t_s >= t0)
			s0 = s;
		if (s0 != NULL && s->t_s <= t0 + span)
			s1 = s;
	}
	if (s0 == NULL || s1 == NULL || s1->t_s <= s0->t_s)
		return 0;
	return (double)(s1->rx[p] - s0->rx[p]) / (s1->t_s - s0->t_s);
}

static double
fwd_gap_ms(const struct fwd_app *a, const struct fwd_reset *r)
{
	if (r->first_rx_after == 0 || r->last_rx_before == 0)
		return -1;
	return (double)(r->first_rx_after - r->last_rx_before) * 1000 / a->hz;
}

void
fwd_stats_show(struct fwd_app *a, FILE *f)
{
	double t = fwd_now_s();
	uint16_t p;

	fprintf(f, "%.3f s\n", t);
	for (p = 0; p < a->nb_ports; p++) {
		struct resetcoord_port_stats st;

		memset(&st, 0, sizeof(st));
		resetcoord_port_stats_get(a->resetcoord, a->ports[p].port_id, &st);
		fprintf(f, "  port %u (%s port %u): rx %" PRIu64 " tx %" PRIu64
			" refused %" PRIu64 " state %s resets %" PRIu64
			" (ok %" PRIu64 ", failed %" PRIu64 ") last %" PRIu64
			" us\n", p, a->ports[p].hca, a->ports[p].hw_port,
			fwd_port_rx(a, p), fwd_port_tx(a, p),
			fwd_port_refused(a, p), fwd_state_name(st.state),
			st.resets, st.resets_ok, st.resets_failed, st.last_us);
	}
}

int
fwd_report(struct fwd_app *a, FILE *f, const char *json_path)
{
	struct fwd_ledger tot;
	bool all_known = true, closes = true, negative = false;
	bool witnesses = true, resets_ok = true, mempool_ok;
	unsigned int k;
	uint16_t p;
	FILE *j;

	memset(&tot, 0, sizeof(tot));
	for (p = 0; p < a->nb_ports; p++) {
		const struct fwd_ledger *l = &fwd_led[p];

		all_known &= l->known;
		if (!l->known)
			continue;
		closes &= l->unaccounted == 0;
		negative |= l->negative;
		tot.offered += l->offered;
		tot.forwarded += l->forwarded;
		tot.refused += l->refused;
		tot.missed += l->missed;
		tot.lost += l->lost;
		tot.unaccounted += l->unaccounted;
		tot.bytes += l->bytes;
		tot.duplicated += l->duplicated;
		/* the checker cannot see more gaps than frames went missing */
		if (l->checker_gaps > l->offered - l->forwarded)
			witnesses = false;
	}
	for (k = 0; k < a->nb_resets; k++) {
		const struct fwd_reset *r = &a->resets[k];

		if (r->end_s < 0)
			resets_ok = false;
	}
	mempool_ok = a->ports_stopped && a->mp_final == a->mp_baseline;

	fprintf(f, "\n=== mlx4r-fwd report ===\n");
	fprintf(f, "run: %.3f s, %u ports x %u queues, %u lcores, recovery=%s\n",
		fwd_elapsed_s, a->nb_ports, a->opt.nb_queues, a->nb_lcores,
		a->opt.proactive ? "proactive" : "passive");
	fprintf(f, "throughput: %.0f frames/s forwarded (%.1f Mbit/s)\n",
		fwd_elapsed_s > 0 ? tot.forwarded / fwd_elapsed_s : 0.0,
		fwd_elapsed_s > 0 ? tot.bytes * 8 / fwd_elapsed_s / 1e6 : 0.0);
	fprintf(f, "\nresets (%u):\n", a->nb_resets);
	for (k = 0; k < a->nb_resets; k++) {
		const struct fwd_reset *r = &a->resets[k];
		double gap = fwd_gap_ms(a, r);

		fprintf(f, "  #%u port %u at %.3f s (%s): %s", k, r->port,
			r->begin_s, r->cause, fwd_outcome_name(r));
		if (r->end_s >= 0)
			fprintf(f, " after %.3f ms", (r->end_s - r->begin_s) *
				1000);
		if (gap >= 0)
			fprintf(f, ", traffic gap %.3f ms", gap);
		else
			fprintf(f, ", traffic did not resume");
		if (r->end_s >= 0)
			fprintf(f, ", %.0f pps after", fwd_pps_after(a, r->port,
				r->end_s, 1.0));
		fprintf(f, "\n");
	}
	fprintf(f, "\n%-5s %12s %12s %10s %10s %10s %6s\n", "port", "offered",
		"forwarded", "refused", "missed", "lost", "unacc");
	for (p = 0; p < a->nb_ports; p++) {
		const struct fwd_ledger *l = &fwd_led[p];

		if (!l->known) {
			fprintf(f, "%-5u not cabled to the generator: no ledger\n",
				p);
			continue;
		}
		fprintf(f, "%u->%-2u %12" PRIu64 " %12" PRIu64 " %10" PRIu64
			" %10" PRIu64 " %10" PRIu64 " %6" PRId64 "\n", p, p ^ 1,
			l->offered, l->forwarded, l->refused, l->missed,
			l->lost, l->unaccounted);
	}
	fprintf(f, "%-5s %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %10" PRIu64
		" %10" PRIu64 " %6" PRId64 "\n", "all", tot.offered,
		tot.forwarded, tot.refused, tot.missed, tot.lost,
		tot.unaccounted);
	for (p = 0; p < a->nb_ports; p++) {
		const struct fwd_ledger *l = &fwd_led[p];
		const struct fwd_port_end *e = &fwd_end[p];

		if (l->known)
			fprintf(f, "  %u->%u: missed = %" PRIu64 " no buffer + %"
				PRIu64 " queue not ready + %" PRIu64
				" unseen; lost = %" PRIu64 " Rx ring + %" PRIu64
				" Tx ring + %" PRIu64 " link + %" PRIu64
				" wire; checker gaps %" PRIu64 ", dup %" PRIu64
				", reordered %" PRIu64 "\n", p, p ^ 1,
				l->missed_no_buffer, l->missed_not_ready,
				l->missed_unseen, l->lost_rx_ring,
				l->lost_tx_ring, l->lost_link, l->lost_wire,
				l->checker_gaps, l->duplicated,
				l->out_of_order);
		fprintf(f, "  port %u driver: resets %" PRIu64 " ok %" PRIu64
			" failed %" PRIu64 ", mbufs reclaimed %" PRIu64
			", refused: rx bursts %" PRIu64 ", tx packets %" PRIu64
			"; resetcoord: resets %" PRIu64 " ok %" PRIu64 " failed %"
			PRIu64 " worst %" PRIu64 " us, state %s\n", p,
			e->rst.started, e->rst.succeeded, e->rst.failed,
			e->mbufs_reclaimed, e->rx_refused_bursts,
			e->tx_refused_packets, e->resetcoord.resets, e->resetcoord.resets_ok,
			e->resetcoord.resets_failed, e->resetcoord.worst_us,
			fwd_state_name(e->resetcoord.state));
	}
	fprintf(f, "\nmempool: %u free of %u at the start, %u after the ports stopped: %s\n",
		a->mp_baseline, a->mp->size, a->mp_final,
		mempool_ok ? "back to baseline" : "NOT back to baseline");
	fprintf(f, "accounting: forwarded + refused + missed + lost %s offered%s\n",
		!all_known ? "cannot be checked (a port has no generator):" :
		closes ? "==" : "!=",
		negative ? " (a boundary counter went backwards)" : "");
	fprintf(f, "resets: %s\n", resets_ok ?
		"every reset ended (recovered or reported failed)" :
		"a reset did not end");
	fflush(f);

	if (json_path != NULL) {
		j = fopen(json_path, "w");
		if (j == NULL) {
			fprintf(stderr, "cannot write %s\n", json_path);
			return -errno;
		}
		fprintf(j, "{\n  \"duration_s\": %.6f,\n  \"ports\": %u,\n"
			"  \"queues\": %u,\n  \"lcores\": %u,\n"
			"  \"recovery\": \"%s\",\n", fwd_elapsed_s, a->nb_ports,
			a->opt.nb_queues, a->nb_lcores,
			a->opt.proactive ? "proactive" : "passive");
		fprintf(j, "  \"throughput_pps\": %.1f,\n  \"throughput_mbps\": %.3f,\n",
			fwd_elapsed_s > 0 ? tot.forwarded / fwd_elapsed_s : 0.0,
			fwd_elapsed_s > 0 ?
			tot.bytes * 8 / fwd_elapsed_s / 1e6 : 0.0);
		fprintf(j, "  \"totals\": {\"offered\": %" PRIu64
			", \"forwarded\": %" PRIu64 ", \"refused\": %" PRIu64
			", \"missed\": %" PRIu64 ", \"lost\": %" PRIu64
			", \"unaccounted\": %" PRId64 "},\n", tot.offered,
			tot.forwarded, tot.refused, tot.missed, tot.lost,
			tot.unaccounted);
		fprintf(j, "  \"accounting\": {\"known\": %s, \"closes\": %s, "
			"\"boundaries_nonnegative\": %s, \"witnesses_agree\": %s},\n",
			all_known ? "true" : "false",
			all_known && closes ? "true" : "false",
			negative ? "false" : "true",
			witnesses ? "true" : "false");
		fprintf(j, "  \"mempool\": {\"size\": %u, \"baseline\": %u, "
			"\"final\": %u, \"back_to_baseline\": %s},\n",
			a->mp->size, a->mp_baseline, a->mp_final,
			mempool_ok ? "true" : "false");
		fprintf(j, "  \"streams\": [\n");
		for (p = 0; p < a->nb_ports; p++) {
			const struct fwd_ledger *l = &fwd_led[p];
			const struct fwd_port_end *e = &fwd_end[p];

			fprintf(j, "    {\"from\": %u, \"to\": %u, \"known\": %s, "
				"\"offered\": %" PRIu64 ", \"forwarded\": %" PRIu64
				", \"refused\": %" PRIu64 ", \"missed\": %" PRIu64
				", \"lost\": %" PRIu64 ", \"unaccounted\": %" PRId64
				",\n     \"gen_sent\": %" PRIu64
				", \"gen_wire_drop\": %" PRIu64
				", \"missed_no_buffer\": %" PRIu64
				", \"missed_not_ready\": %" PRIu64
				", \"missed_unseen\": %" PRIu64
				", \"lost_rx_ring\": %" PRIu64
				", \"lost_tx_ring\": %" PRIu64
				", \"lost_link\": %" PRIu64
				", \"lost_wire\": %" PRIu64
				",\n     \"app_rx\": %" PRIu64 ", \"app_tx\": %" PRIu64
				", \"checker_gaps\": %" PRIu64
				", \"duplicated\": %" PRIu64
				", \"out_of_order\": %" PRIu64
				", \"negative_boundary\": %s"
				",\n     \"driver\": {\"resets_started\": %" PRIu64
				", \"resets_succeeded\": %" PRIu64
				", \"resets_failed\": %" PRIu64
				", \"mbufs_reclaimed\": %" PRIu64
				", \"rx_refused_bursts\": %" PRIu64
				", \"tx_refused_packets\": %" PRIu64
				", \"imissed\": %" PRIu64 "}"
				",\n     \"resetcoord\": {\"resets\": %" PRIu64
				", \"ok\": %" PRIu64 ", \"failed\": %" PRIu64
				", \"late_clients\": %" PRIu64
				", \"worst_us\": %" PRIu64 ", \"state\": \"%s\"}}%s\n",
				p, p ^ 1, l->known ? "true" : "false",
				l->offered, l->forwarded, l->refused, l->missed,
				l->lost, l->unaccounted, l->gen_sent,
				l->gen_wire_drop, l->missed_no_buffer,
				l->missed_not_ready, l->missed_unseen,
				l->lost_rx_ring, l->lost_tx_ring, l->lost_link,
				l->lost_wire, l->app_rx, l->app_tx,
				l->checker_gaps, l->duplicated,
				l->out_of_order,
				l->negative ? "true" : "false",
				e->rst.started, e->rst.succeeded,
				e->rst.failed, e->mbufs_reclaimed,
				e->rx_refused_bursts, e->tx_refused_packets,
				e->imissed, e->resetcoord.resets, e->resetcoord.resets_ok,
				e->resetcoord.resets_failed, e->resetcoord.late_clients,
				e->resetcoord.worst_us,
				fwd_state_name(e->resetcoord.state),
				p + 1 < a->nb_ports ? "," : "");
		}
		fprintf(j, "  ],\n  \"scheduled\": [\n");
		for (k = 0; k < a->opt.nb_sched; k++) {
			const struct fwd_sched *s = &a->opt.sched[k];

			fprintf(j, "    {\"at_s\": %.3f, \"port\": %u, "
				"\"action\": \"%s\", \"arg\": %u, \"fired\": %s, "
				"\"ret\": %d}%s\n", s->at_s, s->port,
				fwd_action_name(s->action), s->arg,
				s->done ? "true" : "false", s->ret,
				k + 1 < a->opt.nb_sched ? "," : "");
		}
		fprintf(j, "  ],\n  \"resets\": [\n");
		for (k = 0; k < a->nb_resets; k++) {
			const struct fwd_reset *r = &a->resets[k];

			fprintf(j, "    {\"port\": %u, \"cause\": \"%s\", "
				"\"begin_s\": %.6f, \"end_s\": %.6f, "
				"\"outcome\": \"%s\", \"recovery_ms\": %.3f, "
				"\"traffic_gap_ms\": %.3f, \"pps_after\": %.1f}%s\n",
				r->port, r->cause, r->begin_s, r->end_s,
				fwd_outcome_name(r),
				r->end_s >= 0 ? (r->end_s - r->begin_s) * 1000 :
				-1.0, fwd_gap_ms(a, r),
				r->end_s >= 0 ? fwd_pps_after(a, r->port,
							      r->end_s, 1.0) :
				0.0, k + 1 < a->nb_resets ? "," : "");
		}
		fprintf(j, "  ],\n  \"late_clients\": %u,\n"
			"  \"all_resets_ended\": %s\n}\n", a->late_clients,
			resets_ok ? "true" : "false");
		fclose(j);
	}
	return all_known && closes && !negative && mempool_ok && resets_ok ?
	       0 : -EPROTO;
}
