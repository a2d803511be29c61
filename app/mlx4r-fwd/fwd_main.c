/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * mlx4r-fwd: options, devices, ports, the resetcoord instance, the lcores, the
 * schedule of faults and resets, the end of the run.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "resetcoord.h"
#include "rte_pmd_mlx4r.h"
#include "emu/mlx4r_emu.h"

#include "fwd.h"

struct fwd_app fwd;

static const char * const fwd_fault_names[] = {
	[RTE_PMD_MLX4R_FAULT_FATAL] = "fatal",
	[RTE_PMD_MLX4R_FAULT_CMD_FAIL] = "cmd-fail",
	[RTE_PMD_MLX4R_FAULT_CMD_TIMEOUT] = "cmd-timeout",
	[RTE_PMD_MLX4R_FAULT_REINIT_FAIL] = "reinit-fail",
	[RTE_PMD_MLX4R_FAULT_FW_RESET_SLOW] = "fw-slow",
	[RTE_PMD_MLX4R_FAULT_LINK_FLAP] = "link-flap",
	[RTE_PMD_MLX4R_FAULT_QP_ERROR] = "qp-error",
	[RTE_PMD_MLX4R_FAULT_LOST_DOORBELL] = "lost-doorbell",
};

double
fwd_now_s(void)
{
	return (double)(rte_rdtsc() - fwd.start_tsc) / fwd.hz;
}

const char *
fwd_state_name(enum resetcoord_port_state st)
{
	switch (st) {
	case RESETCOORD_PORT_LIVE:
		return "live";
	case RESETCOORD_PORT_RESETTING:
		return "resetting";
	case RESETCOORD_PORT_FAILED:
		return "FAILED";
	case RESETCOORD_PORT_REMOVED:
		return "removed";
	}
	return "?";
}

const char *
fwd_action_name(int action)
{
	if (action == FWD_ACT_RESET)
		return "reset";
	if (action >= 0 && (unsigned int)action < RTE_DIM(fwd_fault_names))
		return fwd_fault_names[action];
	return "?";
}

int
fwd_action_parse(const char *s, int *action)
{
	unsigned int i;

	if (strcmp(s, "reset") == 0) {
		*action = FWD_ACT_RESET;
		return 0;
	}
	for (i = 0; i < RTE_DIM(fwd_fault_names); i++) {
		if (strcmp(s, fwd_fault_names[i]) == 0) {
			*action = (int)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Remember what caused the next reset of every port of p's HCA. */
static void
fwd_cause_set(uint16_t p, const char *cause)
{
	uint16_t i;

	rte_spinlock_lock(&fwd.lock);
	for (i = 0; i < fwd.nb_ports; i++)
		if (strcmp(fwd.ports[i].hca, fwd.ports[p].hca) == 0)
			fwd.last_cause[i] = cause;
	rte_spinlock_unlock(&fwd.lock);
}

/* Fire a reset request or a fault on application port p. */
int
fwd_act(uint16_t p, int action, uint32_t arg, const char *cause)
{
	uint16_t port_id;
	int ret;

	if (p >= fwd.nb_ports)
		return -EINVAL;
	port_id = fwd.ports[p].port_id;
	if (action != RTE_PMD_MLX4R_FAULT_REINIT_FAIL &&
	    action != RTE_PMD_MLX4R_FAULT_FW_RESET_SLOW)
		fwd_cause_set(p, cause);
	if (action == FWD_ACT_RESET)
		ret = rte_pmd_mlx4r_reset(port_id);
	else
		ret = rte_pmd_mlx4r_inject_fault(port_id,
				(enum rte_pmd_mlx4r_fault)action, arg);
	return ret;
}

static void
fwd_usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- [options]\n"
	       "  --ports N            ports: 2 (one HCA) or 4 (two HCAs) [2]\n"
	       "  --queues Q           Rx and Tx queues per port [1]\n"
	       "  --fwd-lcores M       forwarding lcores [every worker lcore]\n"
	       "  --duration S         seconds of forwarding [10; 0 with -i: until quit]\n"
	       "  --recovery MODE      passive or proactive [proactive]\n"
	       "  --attempts N         driver reopen attempts (recovery_attempts)\n"
	       "  --fault T:P:KIND[:ARG]  at T s, on port P: reset, fatal, cmd-fail,\n"
	       "                       cmd-timeout, reinit-fail, fw-slow, link-flap,\n"
	       "                       qp-error, lost-doorbell (repeatable)\n"
	       "  --rate PPS           generator rate per port [0: a burst per poll]\n"
	       "  --frame-size B       generated frame size [60]\n"
	       "  --flows F            generator flows [Q * 16]\n"
	       "  --mbufs N            mempool size [16384]\n"
	       "  --rxd N / --txd N    descriptors per queue [512 / 512]\n"
	       "  --devargs KV         more devargs for every HCA (a=b,c=d)\n"
	       "  --interval MS        timeline interval [100]\n"
	       "  --ack-timeout MS     resetcoord: wait for lcore acks [100]\n"
	       "  --recovery-timeout MS resetcoord: whole reset [5000]\n"
	       "  --drain-ms MS        quiet time that ends the final drain [50]\n"
	       "  --json FILE          write the report as JSON\n"
	       "  --csv FILE           write the timeline as CSV\n"
	       "  --plot FILE.png      plot the throughput (gnuplot)\n"
	       "  --progress / --no-progress  live line [if stdout is a terminal]\n"
	       "  -i, --interactive    console (show stats, reset, fault, quit)\n"
	       "  -h, --help\n", prog);
}

static int
fwd_sched_parse(struct fwd_opts *o, char *arg)
{
	struct fwd_sched *e;
	char *f[4], *end;
	int n;

	if (o->nb_sched == FWD_MAX_SCHED)
		return -ENOSPC;
	n = rte_strsplit(arg, strlen(arg), f, RTE_DIM(f), ':');
	if (n < 3)
		return -EINVAL;
	e = &o->sched[o->nb_sched];
	memset(e, 0, sizeof(*e));
	e->at_s = strtod(f[0], &end);
	if (*end != '\0' || e->at_s < 0)
		return -EINVAL;
	e->port = (uint16_t)strtoul(f[1], &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (fwd_action_parse(f[2], &e->action) != 0)
		return -EINVAL;
	if (n == 4) {
		e->arg = (uint32_t)strtoul(f[3], &end, 0);
		if (*end != '\0')
			return -EINVAL;
	}
	o->nb_sched++;
	return 0;
}

enum {
	OPT_PORTS = 256, OPT_QUEUES, OPT_FWD_LCORES, OPT_DURATION,
	OPT_RECOVERY, OPT_ATTEMPTS, OPT_FAULT, OPT_RATE, OPT_FRAME_SIZE,
	OPT_FLOWS, OPT_MBUFS, OPT_RXD, OPT_TXD, OPT_DEVARGS, OPT_INTERVAL,
	OPT_ACK_TIMEOUT, OPT_RECOVERY_TIMEOUT, OPT_JSON, OPT_CSV, OPT_PLOT,
	OPT_PROGRESS, OPT_NO_PROGRESS, OPT_DRAIN,
};

static int
fwd_parse_args(struct fwd_opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ports", required_argument, NULL, OPT_PORTS },
		{ "queues", required_argument, NULL, OPT_QUEUES },
		{ "fwd-lcores", required_argument, NULL, OPT_FWD_LCORES },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "recovery", required_argument, NULL, OPT_RECOVERY },
		{ "attempts", required_argument, NULL, OPT_ATTEMPTS },
		{ "fault", required_argument, NULL, OPT_FAULT },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "frame-size", required_argument, NULL, OPT_FRAME_SIZE },
		{ "flows", required_argument, NULL, OPT_FLOWS },
		{ "mbufs", required_argument, NULL, OPT_MBUFS },
		{ "rxd", required_argument, NULL, OPT_RXD },
		{ "txd", required_argument, NULL, OPT_TXD },
		{ "devargs", required_argument, NULL, OPT_DEVARGS },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "ack-timeout", required_argument, NULL, OPT_ACK_TIMEOUT },
		{ "recovery-timeout", required_argument, NULL,
		  OPT_RECOVERY_TIMEOUT },
		{ "drain-ms", required_argument, NULL, OPT_DRAIN },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "csv", required_argument, NULL, OPT_CSV },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ "interactive", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool duration_set = false;
	char *end = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "ih", lo, NULL)) != -1) {
		end = NULL;
		switch (c) {
		case OPT_PORTS:
			o->nb_ports = (uint16_t)strtoul(optarg, &end, 10);
			if (o->nb_ports != 2 && o->nb_ports != 4)
				goto bad;
			break;
		case OPT_QUEUES:
			o->nb_queues = (uint16_t)strtoul(optarg, &end, 10);
			if (o->nb_queues == 0 || o->nb_queues > FWD_MAX_QUEUES)
				goto bad;
			break;
		case OPT_FWD_LCORES:
			o->nb_fwd_lcores = (uint16_t)strtoul(optarg, &end, 10);
			break;
		case OPT_DURATION:
			o->duration_s = strtod(optarg, &end);
			duration_set = true;
			if (o->duration_s < 0)
				goto bad;
			break;
		case OPT_RECOVERY:
			if (strcmp(optarg, "proactive") == 0)
				o->proactive = true;
			else if (strcmp(optarg, "passive") == 0)
				o->proactive = false;
			else
				goto bad;
			break;
		case OPT_ATTEMPTS:
			o->attempts = (uint32_t)strtoul(optarg, &end, 10);
			break;
		case OPT_FAULT:
			if (fwd_sched_parse(o, optarg) != 0)
				goto bad;
			break;
		case OPT_RATE:
			o->rate_pps = strtoull(optarg, &end, 10);
			break;
		case OPT_FRAME_SIZE:
			o->frame_size = (uint16_t)strtoul(optarg, &end, 10);
			break;
		case OPT_FLOWS:
			o->nb_flows = (uint16_t)strtoul(optarg, &end, 10);
			break;
		case OPT_MBUFS:
			o->nb_mbufs = (uint32_t)strtoul(optarg, &end, 10);
			break;
		case OPT_RXD:
			o->nb_rxd = (uint16_t)strtoul(optarg, &end, 10);
			break;
		case OPT_TXD:
			o->nb_txd = (uint16_t)strtoul(optarg, &end, 10);
			break;
		case OPT_DEVARGS:
			if (strlcpy(o->devargs, optarg, sizeof(o->devargs)) >=
			    sizeof(o->devargs))
				goto bad;
			break;
		case OPT_INTERVAL:
			o->interval_ms = (uint32_t)strtoul(optarg, &end, 10);
			if (o->interval_ms == 0)
				goto bad;
			break;
		case OPT_ACK_TIMEOUT:
			o->ack_timeout_ms = (uint32_t)strtoul(optarg, &end, 10);
			break;
		case OPT_RECOVERY_TIMEOUT:
			o->recovery_timeout_ms =
				(uint32_t)strtoul(optarg, &end, 10);
			break;
		case OPT_DRAIN:
			o->drain_ms = (uint32_t)strtoul(optarg, &end, 10);
			break;
		case OPT_JSON:
			o->json_path = optarg;
			break;
		case OPT_CSV:
			o->csv_path = optarg;
			break;
		case OPT_PLOT:
			o->plot_path = optarg;
			break;
		case OPT_PROGRESS:
			o->progress = 1;
			break;
		case OPT_NO_PROGRESS:
			o->progress = 0;
			break;
		case 'i':
			o->interactive = true;
			break;
		case 'h':
			fwd_usage(argv[0]);
			exit(0);
		default:
			fwd_usage(argv[0]);
			return -EINVAL;
		}
		if (end != NULL && *end != '\0')
			goto bad;
	}
	if (optind != argc) {
		fprintf(stderr, "unexpected argument: %s\n", argv[optind]);
		return -EINVAL;
	}
	if (o->interactive && !duration_set)
		o->duration_s = 0;
	if (o->nb_flows == 0)
		o->nb_flows = o->nb_queues * 16;
	return 0;
bad:
	fprintf(stderr, "bad value for option %s: %s\n",
		argv[optind - 1], optarg != NULL ? optarg : "");
	return -EINVAL;
}

/* resetcoord notify callback: on the library's control thread. */
static void
fwd_notify(uint16_t port_id, enum resetcoord_event ev, const char *client,
	   void *arg)
{
	struct fwd_app *a = arg;
	uint64_t now = rte_rdtsc();
	struct fwd_reset *r;
	uint16_t p;
	int i;

	for (p = 0; p < a->nb_ports; p++)
		if (a->ports[p].port_id == port_id)
			break;
	if (p == a->nb_ports)
		return;
	rte_spinlock_lock(&a->lock);
	switch (ev) {
	case RESETCOORD_EVENT_RESET_BEGIN:
		if (a->nb_resets == FWD_MAX_RESETS)
			break;
		r = &a->resets[a->nb_resets++];
		memset(r, 0, sizeof(*r));
		r->port = p;
		r->begin_tsc = now;
		r->begin_s = (double)(now - a->start_tsc) / a->hz;
		r->end_s = -1;
		r->cause = a->last_cause[p] != NULL ? a->last_cause[p] :
			   "device";
		a->last_cause[p] = NULL;
		break;
	case RESETCOORD_EVENT_RESET_DONE:
	case RESETCOORD_EVENT_RESET_FAILED:
	case RESETCOORD_EVENT_REMOVED:
		for (i = (int)a->nb_resets - 1; i >= 0; i--) {
			r = &a->resets[i];
			if (r->port == p && r->end_s < 0) {
				r->end_tsc = now;
				r->end_s = (double)(now - a->start_tsc) / a->hz;
				r->outcome = ev;
				break;
			}
		}
		break;
	case RESETCOORD_EVENT_LATE_CLIENT:
		a->late_clients++;
		fprintf(stderr, "\nport %u: lcore %s missed the ack deadline\n",
			p, client != NULL ? client : "?");
		break;
	}
	rte_spinlock_unlock(&a->lock);
}

/* Create the HCAs (unless EAL's --vdev did) and find their ports. */
static int
fwd_ports_find(struct fwd_app *a)
{
	struct rte_pmd_mlx4r_port_info info;
	char args[512];
	unsigned int h, nb_hca = a->opt.nb_ports / 2;
	uint16_t pid;
	int ret;

	if (rte_eth_dev_count_avail() == 0) {
		a->own_wires = true;
		for (h = 0; h < nb_hca; h++) {
			char name[32];
			int n;

			snprintf(name, sizeof(name), "net_mlx4r%u", h);
			/*
			 * wire=none: the application cables the generator
			 * itself (fwd_generators_start). With wire=gen the
			 * driver re-cables it, restarting the generator as a
			 * new stream with zeroed counters, at every port
			 * stop -- including the stop inside each reset --
			 * which would lose the generator's side of the
			 * ledger.
			 */
			n = snprintf(args, sizeof(args),
				     "ports=2,wire=none,recovery=%s",
				     a->opt.proactive ? "proactive" : "passive");
			if (a->opt.attempts != 0)
				n += snprintf(args + n, sizeof(args) - n,
					      ",recovery_attempts=%u",
					      a->opt.attempts);
			if (a->opt.devargs[0] != '\0')
				snprintf(args + n, sizeof(args) - n, ",%s",
					 a->opt.devargs);
			ret = rte_vdev_init(name, args);
			if (ret != 0) {
				fprintf(stderr, "cannot create %s,%s: %s\n",
					name, args, rte_strerror(-ret));
				return ret;
			}
		}
	}
	a->nb_ports = 0;
	RTE_ETH_FOREACH_DEV(pid) {
		struct fwd_port *fp;

		if (a->nb_ports == a->opt.nb_ports)
			break;
		ret = rte_pmd_mlx4r_port_info_get(pid, &info);
		if (ret != 0) {
			fprintf(stderr, "port %u is not an mlx4r port: skipped\n",
				pid);
			continue;
		}
		fp = &a->ports[a->nb_ports++];
		fp->port_id = pid;
		strlcpy(fp->hca, info.hca_name, sizeof(fp->hca));
		fp->hw_port = info.port_num;
		fp->emu = strcmp(info.backend, "emu") == 0 ?
			  mlx4r_emu_dev_lookup(info.hca_name) : NULL;
	}
	if (a->nb_ports != a->opt.nb_ports) {
		fprintf(stderr, "found %u mlx4r ports, need %u\n",
			a->nb_ports, a->opt.nb_ports);
		return -ENODEV;
	}
	return 0;
}

static int
fwd_ports_setup(struct fwd_app *a)
{
	struct resetcoord_port_conf pc;
	uint16_t p, q;
	int ret;

	memset(&pc, 0, sizeof(pc));
	if (a->opt.nb_queues > 1) {
		pc.eth_conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		pc.eth_conf.rx_adv_conf.rss_conf.rss_hf =
			RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP;
	}
	pc.nb_rxq = a->opt.nb_queues;
	pc.nb_txq = a->opt.nb_queues;
	pc.nb_rxd = a->opt.nb_rxd;
	pc.nb_txd = a->opt.nb_txd;
	pc.mp = a->mp;
	pc.promiscuous = true;
	for (p = 0; p < a->nb_ports; p++) {
		uint16_t pid = a->ports[p].port_id;
		struct rte_eth_dev_info di;

		ret = rte_eth_dev_info_get(pid, &di);
		if (ret != 0)
			return ret;
		pc.eth_conf.rx_adv_conf.rss_conf.rss_hf &=
			di.flow_type_rss_offloads;
		ret = rte_eth_dev_configure(pid, pc.nb_rxq, pc.nb_txq,
					    &pc.eth_conf);
		if (ret != 0)
			goto fail;
		/* --rxd/--txd to the port's descriptor limits */
		ret = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &pc.nb_rxd,
						       &pc.nb_txd);
		if (ret != 0)
			goto fail;
		for (q = 0; q < pc.nb_rxq; q++) {
			ret = rte_eth_rx_queue_setup(pid, q, pc.nb_rxd,
				rte_eth_dev_socket_id(pid), NULL, a->mp);
			if (ret != 0)
				goto fail;
		}
		for (q = 0; q < pc.nb_txq; q++) {
			ret = rte_eth_tx_queue_setup(pid, q, pc.nb_txd,
				rte_eth_dev_socket_id(pid), NULL);
			if (ret != 0)
				goto fail;
		}
		ret = rte_eth_dev_start(pid);
		if (ret != 0)
			goto fail;
		ret = rte_eth_promiscuous_enable(pid);
		if (ret != 0)
			goto fail;
		/* the configuration passive resets replay */
		if (resetcoord_port_add(a->resetcoord, pid, &pc) != 0) {
			ret = -rte_errno;
			goto fail;
		}
	}
	return 0;
fail:
	fprintf(stderr, "port %u: setup failed: %s\n", p, rte_strerror(-ret));
	return ret;
}

/* Spread streams over lcores, register each lcore with resetcoord. */
static int
fwd_lcores_setup(struct fwd_app *a)
{
	unsigned int lcore, i, k, n = 0;
	uint16_t p, q;

	a->nb_streams = a->nb_ports * a->opt.nb_queues;
	a->streams = rte_zmalloc("fwd_streams",
				 sizeof(*a->streams) * a->nb_streams,
				 RTE_CACHE_LINE_SIZE);
	RTE_LCORE_FOREACH_WORKER(lcore)
		n++;
	if (a->opt.nb_fwd_lcores != 0 && a->opt.nb_fwd_lcores < n)
		n = a->opt.nb_fwd_lcores;
	if (n > a->nb_streams)
		n = a->nb_streams;
	if (n == 0) {
		fprintf(stderr, "no worker lcore: give EAL at least two (-l 0-1)\n");
		return -EINVAL;
	}
	a->nb_lcores = n;
	a->lcores = rte_zmalloc("fwd_lcores", sizeof(*a->lcores) * n,
				RTE_CACHE_LINE_SIZE);
	if (a->streams == NULL || a->lcores == NULL)
		return -ENOMEM;
	i = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i == n)
			break;
		a->lcores[i++].lcore_id = lcore;
	}
	k = 0;
	for (q = 0; q < a->opt.nb_queues; q++) {
		for (p = 0; p < a->nb_ports; p++) {
			struct fwd_stream *s = &a->streams[k];
			struct fwd_lcore *lc = &a->lcores[k % n];

			s->rx_port = p;
			s->tx_port = p ^ 1;
			s->queue = q;
			s->txb = rte_zmalloc_socket("fwd_txb",
				RTE_ETH_TX_BUFFER_SIZE(FWD_BURST), 0,
				rte_lcore_to_socket_id(lc->lcore_id));
			if (s->txb == NULL)
				return -ENOMEM;
			rte_eth_tx_buffer_init(s->txb, FWD_BURST);
			rte_eth_tx_buffer_set_err_callback(s->txb,
							   fwd_tx_unsent_cb, s);
			lc->streams[lc->nb_streams++] = s;
			k++;
		}
	}
	for (i = 0; i < n; i++) {
		struct fwd_lcore *lc = &a->lcores[i];
		int use[FWD_MAX_PORTS];
		char name[32];

		snprintf(name, sizeof(name), "lcore%u", lc->lcore_id);
		lc->client = resetcoord_client_register(a->resetcoord, name, fwd_drain, lc);
		if (lc->client == NULL)
			return -rte_errno;
		for (p = 0; p < a->nb_ports; p++)
			use[p] = -1;
		for (k = 0; k < lc->nb_streams; k++) {
			struct fwd_stream *s = lc->streams[k];
			uint16_t pp[2] = { s->rx_port, s->tx_port };
			unsigned int j;

			for (j = 0; j < 2; j++) {
				if (use[pp[j]] >= 0)
					continue;
				use[pp[j]] = resetcoord_client_use(lc->client,
					a->ports[pp[j]].port_id, s->queue,
					s->queue);
				if (use[pp[j]] < 0)
					return -rte_errno;
			}
			s->rx_use = (uint8_t)use[s->rx_port];
			s->tx_use = (uint8_t)use[s->tx_port];
		}
	}
	return 0;
}

/*
 * Restart every generator as a fresh stream with the application's
 * settings, and clear the checkers: the ledger starts here.
 */
static void
fwd_generators_start(struct fwd_app *a)
{
	struct mlx4r_emu_gen_conf gc;
	uint16_t p;

	memset(&gc, 0, sizeof(gc));
	gc.rate_pps = a->opt.rate_pps;
	gc.frame_size = a->opt.frame_size;
	gc.nb_flows = a->opt.nb_flows;
	for (p = 0; p < a->nb_ports; p++) {
		struct fwd_port *fp = &a->ports[p];

		if (fp->emu == NULL || !a->own_wires)
			continue;
		if (mlx4r_emu_wire_peer(fp->emu, fp->hw_port) != 0 ||
		    mlx4r_emu_gen_start(fp->emu, fp->hw_port, &gc) != 0 ||
		    mlx4r_emu_chk_reset(fp->emu, fp->hw_port) != 0)
			fprintf(stderr, "port %u: cannot restart the generator\n",
				p);
	}
}

static void
fwd_generators_stop(struct fwd_app *a)
{
	uint16_t p;

	for (p = 0; p < a->nb_ports; p++)
		if (a->ports[p].emu != NULL)
			mlx4r_emu_gen_stop(a->ports[p].emu,
					   a->ports[p].hw_port);
}

static bool
fwd_any_resetting(struct fwd_app *a)
{
	struct resetcoord_port_stats st;
	uint16_t p;

	for (p = 0; p < a->nb_ports; p++)
		if (resetcoord_port_stats_get(a->resetcoord, a->ports[p].port_id, &st) == 0 &&
		    st.state == RESETCOORD_PORT_RESETTING)
			return true;
	return false;
}

static void
fwd_schedule_run(struct fwd_app *a, double now)
{
	unsigned int i;

	for (i = 0; i < a->opt.nb_sched; i++) {
		struct fwd_sched *e = &a->opt.sched[i];

		if (e->done || now < e->at_s)
			continue;
		e->done = true;
		e->ret = fwd_act(e->port, e->action, e->arg,
				 fwd_action_name(e->action));
		if (e->ret != 0)
			fprintf(stderr, "\n%.3f s: %s on port %u: %s\n", now,
				fwd_action_name(e->action), e->port,
				rte_strerror(-e->ret));
	}
}

/*
 * The end: generators off, forward what is still in flight until the
 * ports are quiet and no reset runs, then the lcores leave.
 */
static void
fwd_wind_down(struct fwd_app *a)
{
	uint64_t quiet = (uint64_t)a->opt.drain_ms * a->hz / 1000;
	uint64_t limit = rte_rdtsc() +
		((uint64_t)a->opt.recovery_timeout_ms + 2000) * a->hz / 1000;
	uint64_t last_change = rte_rdtsc(), rx = UINT64_MAX;
	unsigned int i;
	uint16_t p;

	fwd_generators_stop(a);
	while (rte_rdtsc() < limit) {
		uint64_t now = rte_rdtsc(), n = 0;

		for (p = 0; p < a->nb_ports; p++)
			n += fwd_port_rx(a, p);
		if (n != rx || fwd_any_resetting(a)) {
			rx = n;
			last_change = now;
		} else if (now - last_change >= quiet) {
			break;
		}
		rte_delay_us_sleep(1000);
	}
	__atomic_store_n(&a->stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < a->nb_lcores; i++)
		rte_eal_wait_lcore(a->lcores[i].lcore_id);
}

static void
fwd_signal(int sig)
{
	RTE_SET_USED(sig);
	fwd.quit = true;
}

int
main(int argc, char **argv)
{
	struct fwd_app *a = &fwd;
	struct resetcoord_conf rc;
	uint64_t next_sample, interval;
	unsigned int i;
	uint16_t p;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	a->opt = (struct fwd_opts){
		.nb_ports = 2,
		.nb_queues = 1,
		.duration_s = 10,
		.interval_ms = 100,
		.proactive = true,
		.frame_size = 60,
		.nb_mbufs = 16384,
		.nb_rxd = 512,
		.nb_txd = 512,
		.drain_ms = 50,
		.progress = -1,
	};
	rte_spinlock_init(&a->lock);
	a->hz = rte_get_tsc_hz();
	if (fwd_parse_args(&a->opt, argc, argv) != 0) {
		rte_eal_cleanup();
		return 2;
	}
	a->progress_on = a->opt.progress == 1 ||
		(a->opt.progress < 0 && !a->opt.interactive &&
		 isatty(STDOUT_FILENO));
	signal(SIGINT, fwd_signal);
	signal(SIGTERM, fwd_signal);

	ret = fwd_ports_find(a);
	if (ret != 0)
		goto out;
	a->mp = rte_pktmbuf_pool_create("fwd_pool", a->opt.nb_mbufs, 256, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE,
					rte_socket_id());
	if (a->mp == NULL) {
		fprintf(stderr, "cannot create the mempool: %s\n",
			rte_strerror(rte_errno));
		ret = -rte_errno;
		goto out;
	}
	a->mp_baseline = rte_mempool_avail_count(a->mp);
	memset(&rc, 0, sizeof(rc));
	rc.name = "fwd";
	rc.ack_timeout_ms = a->opt.ack_timeout_ms;
	rc.recovery_timeout_ms = a->opt.recovery_timeout_ms;
	rc.notify = fwd_notify;
	rc.notify_arg = a;
	a->resetcoord = resetcoord_create(&rc);
	if (a->resetcoord == NULL) {
		fprintf(stderr, "resetcoord_create: %s\n", rte_strerror(rte_errno));
		ret = -rte_errno;
		goto out;
	}
	if (a->opt.recovery_timeout_ms == 0)
		a->opt.recovery_timeout_ms = 5000;
	ret = fwd_ports_setup(a);
	if (ret == 0)
		ret = fwd_lcores_setup(a);
	if (ret == 0)
		ret = fwd_timeline_init(a);
	if (ret != 0)
		goto out;
	if (a->opt.interactive && fwd_console_init(a) != 0)
		a->opt.interactive = false;

	printf("mlx4r-fwd: %u ports x %u queues, %u forwarding lcores, recovery=%s, %.1f s%s\n",
	       a->nb_ports, a->opt.nb_queues, a->nb_lcores,
	       a->opt.proactive ? "proactive" : "passive", a->opt.duration_s,
	       a->opt.duration_s == 0 ? " (until quit)" : "");
	for (i = 0; i < a->opt.nb_sched; i++)
		printf("  scheduled: %.3f s port %u %s %u\n",
		       a->opt.sched[i].at_s, a->opt.sched[i].port,
		       fwd_action_name(a->opt.sched[i].action),
		       a->opt.sched[i].arg);
	fflush(stdout);

	fwd_generators_start(a);
	a->start_tsc = rte_rdtsc();
	for (i = 0; i < a->nb_lcores; i++)
		rte_eal_remote_launch(fwd_lcore_main, &a->lcores[i],
				      a->lcores[i].lcore_id);
	interval = (uint64_t)a->opt.interval_ms * a->hz / 1000;
	next_sample = a->start_tsc + interval;
	fwd_timeline_sample(a);
	while (!a->quit) {
		uint64_t now = rte_rdtsc();
		double t = fwd_now_s();

		if (a->opt.duration_s > 0 && t >= a->opt.duration_s)
			break;
		fwd_schedule_run(a, t);
		if (now >= next_sample) {
			next_sample += interval;
			fwd_timeline_sample(a);
			fwd_resets_update(a);
			if (a->progress_on)
				fwd_progress_line(a, false);
		}
		if (a->opt.interactive)
			fwd_console_poll(a);
		rte_delay_us_sleep(1000);
	}
	fwd_wind_down(a);
	fwd_timeline_sample(a);
	fwd_resets_update(a);
	if (a->progress_on)
		fwd_progress_line(a, true);
	if (a->opt.interactive)
		fwd_console_free(a);

	/* every counter of the ledger, before the ports stop */
	fwd_report_collect(a);
	for (p = 0; p < a->nb_ports; p++)
		rte_eth_dev_stop(a->ports[p].port_id);
	a->mp_final = rte_mempool_avail_count(a->mp);
	a->ports_stopped = true;
	ret = fwd_report(a, stdout, a->opt.json_path);
	if (a->opt.csv_path != NULL &&
	    fwd_timeline_csv(a, a->opt.csv_path) != 0)
		ret = ret != 0 ? ret : -EIO;
	if (a->opt.plot_path != NULL)
		fwd_timeline_plot(a, a->opt.plot_path);
out:
	if (a->resetcoord != NULL) {
		for (i = 0; i < a->nb_lcores; i++)
			if (a->lcores[i].client != NULL)
				resetcoord_client_unregister(a->lcores[i].client);
		resetcoord_free(a->resetcoord);
	}
	for (p = 0; p < a->nb_ports; p++)
		rte_eth_dev_close(a->ports[p].port_id);
	if (a->streams != NULL)
		for (i = 0; i < a->nb_streams; i++)
			rte_free(a->streams[i].txb);
	rte_free(a->streams);
	rte_free(a->lcores);
	fwd_timeline_free(a);
	rte_mempool_free(a->mp);
	rte_eal_cleanup();
	return ret == 0 ? 0 : 1;
}
