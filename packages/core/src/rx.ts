/**
 * The few rxjs pieces the core runs on, loaded from their own modules rather
 * than from rxjs's index. The index loads all ~250 operators: 0.9 MiB of heap
 * and ~45 ms of start-up in every process, before a single message. rxjs's
 * package exports `./internal/*`, and these resolve to the very same module
 * files the index re-exports, so an Observable made here is the `Observable`
 * users import from 'rxjs' (instanceof and operators work). They are
 * `require`d, not imported (see cjs-require.ts: rxjs is CommonJS under Node);
 * the types are rxjs's own. If a later rxjs moves one of these files, this is
 * the only place to change.
 */
import type * as Rx from 'rxjs';
import { requireCjs } from './cjs-require.js';

type RxModule = typeof Rx;
const load = <K extends keyof RxModule>(file: string, name: K): RxModule[K] => (requireCjs(`rxjs/internal/${file}`) as RxModule)[name];

export const Observable = load('Observable', 'Observable');
export type Observable<T> = Rx.Observable<T>;
export const Subject = load('Subject', 'Subject');
export type Subject<T> = Rx.Subject<T>;
export const BehaviorSubject = load('BehaviorSubject', 'BehaviorSubject');
export type BehaviorSubject<T> = Rx.BehaviorSubject<T>;
export const Subscription = load('Subscription', 'Subscription');
export type Subscription = Rx.Subscription;
export const distinctUntilChanged = load('operators/distinctUntilChanged', 'distinctUntilChanged');
export const isObservable = load('util/isObservable', 'isObservable');
