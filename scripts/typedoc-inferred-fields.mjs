// TypeDoc plugin for `pnpm docs`: a field of an object *value* (a driver's
// `as const` capability descriptor, seen again through `typeof` in the
// factories' return types) is not a declaration anyone wrote a type for; the
// documented value and the interface it satisfies describe it. Such fields are
// exempt from `validation.notDocumented`; every field of a written interface
// or type is still held to it.
import { Converter, ReflectionKind } from 'typedoc';
import ts from 'typescript';

const fromValue = (declaration) =>
  ts.isPropertyAssignment(declaration) || ts.isShorthandPropertyAssignment(declaration);

/** TypeDoc never asks for documentation inside a parameter's type; listing such a field would be an unused exemption. */
function inParameter(reflection) {
  for (let r = reflection.parent; r; r = r.parent) if (r.kindOf(ReflectionKind.Parameter)) return true;
  return false;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    const exempt = [];
    // Names from packages outside the rule would only be reported as unused exemptions.
    const held = new Set(app.options.getValue('packagesRequiringDocumentation'));
    for (const reflection of context.project.getReflectionsByKind(ReflectionKind.Property)) {
      if (reflection.hasComment() || inParameter(reflection)) continue;
      if (!held.has(context.project.getSymbolIdFromReflection(reflection)?.packageName)) continue;
      const declarations = context.getSymbolFromReflection(reflection)?.declarations ?? [];
      if (declarations.length > 0 && declarations.every(fromValue)) exempt.push(reflection.getFriendlyFullName());
    }
    const listed = app.options.getValue('intentionallyNotDocumented');
    app.options.setValue('intentionallyNotDocumented', [...new Set([...listed, ...exempt])]);
  });
}
