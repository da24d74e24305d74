/*
 * run.c - vg_sim_run: build the world, the sensors and their reports, then
 * write the run's files (sim.h).
 */
#include "sim/sim_int.h"

#include <stdlib.h>

vg_status vg_sim_run(const struct vg_sim_scenario *sc, const struct vg_sim_options *opt,
                     struct vg_sim_stats *stats, struct vg_err *err)
{
	if (!sc || !opt || !opt->out_dir)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "vg_sim_run: scenario and out_dir required");
	struct sim_world w;
	memset(&w, 0, sizeof w);
	w.sc = sc;
	w.seed = opt->seed;
	w.t0 = sc->start_ns;
	w.t1 = sc->start_ns + (opt->duration_ns > 0 ? opt->duration_ns : sc->duration_ns);
	w.max_obs = opt->max_observations ? opt->max_observations : SIM_DEFAULT_MAX_OBS;
	if (w.max_obs > UINT32_MAX - 1)
		w.max_obs = UINT32_MAX - 1;
	struct vg_sim_stats s;
	memset(&s, 0, sizeof s);
	int64_t t_a = vg_time_mono_ns();
	vg_status st;
	if ((st = sim_world_build(&w, err)) || (st = sim_sensors_build(&w, err)) ||
	    (st = sim_observe(&w, err)))
		goto out;
	int64_t t_b = vg_time_mono_ns();
	if ((st = sim_write_all(&w, opt, &s, err)))
		goto out;
	s.t_generate_s = (double)(t_b - t_a) / 1e9;
	s.t_write_s = (double)(vg_time_mono_ns() - t_b) / 1e9;
	s.n_sensors = w.n_sen;
	s.n_obs = w.n_obs;
	for (uint32_t i = 0; i < w.n_obs; i++)
		if (w.obs[i].kind < 7)
			s.n_obs_kind[w.obs[i].kind]++;
	s.n_obs_false = w.n_false;
	for (uint32_t i = 0; i < w.n_ev; i++) {
		if (w.ev[i].type == EV_LAUNCH)
			s.n_launch++;
		else if (w.ev[i].type == EV_IMPACT)
			s.n_impact++;
		else
			s.n_fire_events++;
	}
	s.n_violations = w.n_viol;
	s.n_tracks = w.n_obj;
	if (stats)
		*stats = s;
out:
	sim_world_release(&w);
	return st;
}
