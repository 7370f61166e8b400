/** Finds the served model a route names, or answers 404 saying which models are served. */
import type { ServingContext } from '../context';
import { InputError } from '../featureInput';
import type { LiveModel } from '../liveModels';

export function modelOr404(ctx: ServingContext, name: string): LiveModel {
  const model = ctx.models.get(name);
  if (model) return model;
  const served = ctx.models.names();
  throw new InputError(
    `model ${name} is not served here; served models: ${served.length ? served.join(', ') : 'none'} ` +
      `(a model is served once it has a production version: driftloop model promote)`,
    404,
  );
}
