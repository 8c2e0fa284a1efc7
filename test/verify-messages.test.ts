import { describe, expect, it } from 'vitest';
import { pointList } from '../src/verify/crash.js';
import { describeSchemaDiff } from '../src/verify/snapshot.js';

/** What MG061 and MG066 say about a schema that a rollback did not restore. */
describe('describeSchemaDiff', () => {
  it('says a constraint that lost its validation as one change, with how to fix it', () => {
    const d = describeSchemaDiff({
      missing: ['constraint public.orders.orders_x_nn CHECK ((x IS NOT NULL))'],
      extra: ['constraint public.orders.orders_x_nn CHECK ((x IS NOT NULL)) NOT VALID (not validated)'],
    });
    expect(d.text).toBe('constraint public.orders.orders_x_nn was valid before and is NOT VALID after the rollback');
    expect(d.help.join(' ')).toMatch(/VALIDATE CONSTRAINT name after it in the rollback/);
  });

  it('says an index left invalid, and other changes of one object as before and after', () => {
    const d = describeSchemaDiff({
      missing: ['index public.t_a_idx CREATE INDEX t_a_idx ON public.t USING btree (a)', 'column public.t.b integer'],
      extra: ['index public.t_a_idx CREATE INDEX t_a_idx ON public.t USING btree (a) (invalid)', 'column public.t.b bigint', 'trigger public.t.sync x'],
    });
    expect(d.text).toBe('index public.t_a_idx was valid before and is invalid after the rollback; column public.t.b changed: was integer, is bigint; left behind trigger public.t.sync x');
    expect(d.help).toEqual([]);
  });

  it('names a function with its arguments, and tells functions of the same name apart', () => {
    const d = describeSchemaDiff({
      missing: ['function public.f(a integer, b text) integer md5=1', 'function public.g(a integer) void md5=2'],
      extra: ['function public.f(a integer, b text) integer md5=3', 'function public.g(a bigint) void md5=2'],
    });
    expect(d.text).toBe('function public.f(a integer, b text) changed: was integer md5=1, is integer md5=3; missing function public.g(a integer) void md5=2; left behind function public.g(a bigint) void md5=2');
  });

  it('keeps missing and left-behind lines of different objects apart, and counts what it leaves out', () => {
    const d = describeSchemaDiff({ missing: ['index public.a x', 'index public.b x'], extra: ['index public.c x', 'index public.d x'] }, 3);
    expect(d.text).toBe('missing index public.a x; missing index public.b x; left behind index public.c x; and 1 more');
  });
});

/** Where MG066 says a phase does not recover: the crash points of one problem, as one phrase. */
describe('pointList', () => {
  it('runs the statements of one step together, and names migc\'s set-up and the batch loops as they are', () => {
    expect(pointList(['after statement 10 (migc\'s set-up, before any step)', 'after statement 11 (step a)', 'after statement 12 (step a)', 'after statement 14 (step a)', 'in the batch loop of step b, after its first batch']))
      .toBe('after statement 10 (migc\'s set-up, before any step); after statements 11, 12 and 14 (step a); in the batch loop of step b, after its first batch');
    expect(pointList(['after statement 3 (step a)'])).toBe('after statement 3 (step a)');
  });
});
