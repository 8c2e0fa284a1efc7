export interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}
export interface PlanValidator {
  (data: unknown): boolean;
  errors?: AjvError[] | null;
}
export declare const validate: PlanValidator;
export default validate;
