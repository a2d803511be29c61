/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The timeline: a sample of every port's counters per interval, the live
 * progress line, the CSV, and the gnuplot plot with the resets marked.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "fwd.h"

#define FWD_GNUPLOT "/usr/bin/gnuplot"

int
fwd_timeline_init(struct fwd_app *a)
{
	double secs = a->opt.duration_s > 0 ? a->opt.duration_s : 3600;

	/* the run, the wind-down (a reset may be running), some slack */
	a->max_samples = (unsigned int)((secs + 10 +
		a->opt.recovery_timeout_ms / 1000.0) * 1000 /
		a->opt.interval_ms) + 16;
	a->samples = calloc(a->max_samples, sizeof(*a->samples));
	return a->samples == NULL ? -ENOMEM : 0;
}

void
fwd_timeline_free(struct fwd_app *a)
{
	free(a->samples);
	a->samples = NULL;
}

void
fwd_timeline_sample(struct fwd_app *a)
{
	struct fwd_sample *s;
	uint16_t p;

	if (a->nb_samples == a->max_samples)
		return;
	s = &a->samples[a->nb_samples++];
	s->t_s = fwd_now_s();
	for (p = 0; p < a->nb_ports; p++) {
		struct resetcoord_port_stats st;

		s->rx[p] = fwd_port_rx(a, p);
		s->tx[p] = fwd_port_tx(a, p);
		s->refused[p] = fwd_port_refused(a, p);
		if (resetcoord_port_stats_get(a->resetcoord, a->ports[p].port_id, &st) == 0)
			s->state[p] = st.state;
	}
	s->resets = a->nb_resets;
}

void
fwd_progress_line(struct fwd_app *a, bool final)
{
	const struct fwd_sample *s1, *s0;
	double dt;
	uint16_t p;

	if (a->nb_samples < 2)
		return;
	s1 = &a->samples[a->nb_samples - 1];
	s0 = &a->samples[a->nb_samples - 2];
	dt = s1->t_s - s0->t_s;
	if (dt <= 0)
		return;
	printf("\r%7.2f s", s1->t_s);
	for (p = 0; p < a->nb_ports; p++)
		printf(" | p%u %7.3f Mpps %-9s", p,
		       (s1->rx[p] - s0->rx[p]) / dt / 1e6,
		       fwd_state_name(s1->state[p]));
	printf(" | resets %u ", s1->resets);
	if (final)
		printf("\n");
	fflush(stdout);
}

int
fwd_timeline_csv(const struct fwd_app *a, const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned int k;
	uint16_t p;

	if (f == NULL) {
		fprintf(stderr, "cannot write %s\n", path);
		return -errno;
	}
	fprintf(f, "t_s");
	for (p = 0; p < a->nb_ports; p++)
		fprintf(f, ",rx_pps_%u,tx_pps_%u,refused_%u,state_%u,rx_%u",
			p, p, p, p, p);
	fprintf(f, ",resets\n");
	for (k = 1; k < a->nb_samples; k++) {
		const struct fwd_sample *s = &a->samples[k];
		const struct fwd_sample *q = &a->samples[k - 1];
		double dt = s->t_s - q->t_s;

		if (dt <= 0)
			continue;
		fprintf(f, "%.4f", s->t_s);
		for (p = 0; p < a->nb_ports; p++)
			fprintf(f, ",%.0f,%.0f,%" PRIu64 ",%s,%" PRIu64,
				(s->rx[p] - q->rx[p]) / dt,
				(s->tx[p] - q->tx[p]) / dt,
				s->refused[p] - q->refused[p],
				fwd_state_name(s->state[p]), s->rx[p]);
		fprintf(f, ",%u\n", s->resets);
	}
	fclose(f);
	return 0;
}

/* Plot rx pps per port against time, a line at each reset. */
int
fwd_timeline_plot(const struct fwd_app *a, const char *path)
{
	char csv[] = "/tmp/mlx4r-fwd-XXXXXX";
	char cmd[64];
	unsigned int k;
	uint16_t p;
	FILE *g;
	int fd, ret;

	if (access(FWD_GNUPLOT, X_OK) != 0) {
		printf("plot: %s not found (apt-get install gnuplot-nox): no plot\n",
		       FWD_GNUPLOT);
		return -ENOENT;
	}
	fd = mkstemp(csv);
	if (fd < 0)
		return -errno;
	close(fd);
	ret = fwd_timeline_csv(a, csv);
	if (ret != 0)
		goto out;
	snprintf(cmd, sizeof(cmd), "%s", FWD_GNUPLOT);
	g = popen(cmd, "w");
	if (g == NULL) {
		ret = -errno;
		goto out;
	}
	fprintf(g, "set terminal pngcairo size 1200,600 noenhanced\n"
		"set output '%s'\n"
		"set datafile separator ','\n"
		"set title 'mlx4r-fwd: %u ports, recovery=%s'\n"
		"set xlabel 'time (s)'\nset ylabel 'Mpps received'\n"
		"set key outside right top\nset grid\nset yrange [0:*]\n",
		path, a->nb_ports, a->opt.proactive ? "proactive" : "passive");
	for (k = 0; k < a->nb_resets; k++) {
		const struct fwd_reset *r = &a->resets[k];

		/* one line per HCA reset is enough: skip the twin port */
		if (k > 0 && a->resets[k - 1].begin_s > r->begin_s - 0.001)
			continue;
		fprintf(g, "set arrow from %.4f, graph 0 to %.4f, graph 1 nohead lc rgb 'red' dt 2\n"
			"set label 'reset (%s)' at %.4f, graph 0.95 rotate by 90 right tc rgb 'red' font ',8'\n",
			r->begin_s, r->begin_s, r->cause, r->begin_s);
	}
	fprintf(g, "plot ");
	for (p = 0; p < a->nb_ports; p++)
		fprintf(g, "%s'%s' skip 1 using 1:($%u/1e6) with lines lw 2 title 'port %u'",
			p ? ", " : "", csv, 2 + p * 5, p);
	fprintf(g, "\n");
	ret = pclose(g);
	if (ret != 0) {
		/* pngcairo may be missing: gnuplot-nox has png too */
		g = popen(cmd, "w");
		if (g != NULL) {
			fprintf(g, "set terminal png size 1200,600\n"
				"set output '%s'\nset datafile separator ','\n"
				"set xlabel 'time (s)'\nset ylabel 'Mpps received'\n"
				"set yrange [0:*]\n", path);
			for (k = 0; k < a->nb_resets; k++)
				fprintf(g, "set arrow from %.4f, graph 0 to %.4f, graph 1 nohead lc rgb 'red'\n",
					a->resets[k].begin_s,
					a->resets[k].begin_s);
			fprintf(g, "plot ");
			for (p = 0; p < a->nb_ports; p++)
				fprintf(g, "%s'%s' skip 1 using 1:($%u/1e6) with lines title 'port %u'",
					p ? ", " : "", csv, 2 + p * 5, p);
			fprintf(g, "\n");
			ret = pclose(g);
		}
	}
	if (ret == 0)
		printf("plot: %s\n", path);
	else
		printf("plot: gnuplot failed (%d)\n", ret);
out:
	unlink(csv);
	return ret;
}
